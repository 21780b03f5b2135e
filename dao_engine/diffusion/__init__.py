"""Joint diffusion on crystals (§4.1): DDPM on the lattice, wrapped normal on fractional coordinates."""

from dao_engine.diffusion.joint import DiffusionConfig, JointDiffusion, NoisedBatch
from dao_engine.diffusion.schedules import CosineLatticeSchedule, GeometricSigmaSchedule
from dao_engine.diffusion.wrapped_normal import wrap, wrapped_normal_score

__all__ = [
    "CosineLatticeSchedule",
    "DiffusionConfig",
    "GeometricSigmaSchedule",
    "JointDiffusion",
    "NoisedBatch",
    "wrap",
    "wrapped_normal_score",
]
