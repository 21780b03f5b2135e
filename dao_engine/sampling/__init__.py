"""The predictor–corrector sampler of Algorithm 1, written once; guidance composes with it."""

from dao_engine.sampling.sampler import PCSampler, SamplerConfig, model_denoiser, model_energy

__all__ = ["PCSampler", "SamplerConfig", "model_denoiser", "model_energy"]
