"""The predictor–corrector sampler of Algorithm 1, written once; guidance composes with it.

:mod:`dao_engine.sampling.settings` holds its settings (one type, its defaults and ranges),
:mod:`dao_engine.sampling.run` the one path every caller samples through.
"""

from dao_engine.sampling.sampler import PCSampler, SamplerConfig, model_denoiser, model_energy
from dao_engine.sampling.settings import SamplingSettings

__all__ = ["PCSampler", "SamplerConfig", "SamplingSettings", "model_denoiser", "model_energy"]
