"""Crysformer (§4.2): embeddings, invariant attention blocks, noise and energy heads."""

from dao_engine.models.crysformer import Crysformer, CrysformerConfig, CrysformerOutput

__all__ = ["Crysformer", "CrysformerConfig", "CrysformerOutput"]
