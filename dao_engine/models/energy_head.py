"""Whether a model predicts energies, and its energies in physical units: one rule for all.

A model "has an energy head" when it is a DAO-P (``kind == "dao-p"``), its network has an
``energy_head`` and its checkpoint stores the label's :class:`EnergyNormalisation` (without it
the normalised output cannot be turned into eV/atom). Prediction, evaluation, the GPU job,
ranking, relaxation and the app's model picker all ask :func:`energy_normalisation_of`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.errors import ConfigError
from dao_engine.models.loading import LoadedModel
from dao_engine.training.energy import EnergyNormalisation


def energy_normalisation_of(loaded: LoadedModel) -> EnergyNormalisation | None:
    """The normalisation of ``loaded``'s energy head, or None when it has none (see above)."""
    norm = EnergyNormalisation.from_dict(loaded.energy_normalisation)
    head = getattr(loaded.model, "energy_head", None)
    if loaded.kind != "dao-p" or head is None or norm is None:
        return None
    return norm


def has_energy_head(loaded: LoadedModel) -> bool:
    """True when ``loaded`` predicts energies in physical units (see the module docstring)."""
    return energy_normalisation_of(loaded) is not None


@dataclass(frozen=True)
class EnergyModel:
    """A model with an energy head and the normalisation that turns its output into eV/atom."""

    loaded: LoadedModel
    norm: EnergyNormalisation

    @staticmethod
    def of(loaded: LoadedModel) -> EnergyModel | None:
        """``loaded`` as an energy model, None when it has no energy head."""
        norm = energy_normalisation_of(loaded)
        return None if norm is None else EnergyModel(loaded, norm)

    def label(self) -> str:
        """Which energy, its unit and the model that predicts it (shown next to numbers)."""
        return f"{self.norm.label} ({self.norm.unit}), predicted by {self.loaded.path.name}"

    def to_physical(self, normalised: torch.Tensor) -> np.ndarray:
        """(B,) normalised head outputs → (B,) float64 in ``norm.unit`` (eV/atom)."""
        values = normalised.detach().float().cpu().double().numpy()
        return np.asarray(self.norm.to_physical(values), dtype=np.float64)

    def final_energies(self, batch: CrystalBatch) -> np.ndarray:
        """(B,) float64 predicted energy per atom (eV/atom) of clean structures, at t = 0,
        in float32 (no autocast); NaN where the network gives a non-finite value."""
        t0 = torch.zeros(batch.batch_size, dtype=torch.long, device=batch.device)
        with torch.no_grad():
            out = self.loaded.model(batch.lattice, batch.frac, batch.species, t0).energy
        return self.to_physical(out)


def energy_model_for(
    loaded: LoadedModel, guidance: float = 0.0, required: bool = False
) -> EnergyModel | None:
    """``loaded`` as an energy model; ConfigError when it has no energy head but energy
    guidance (``guidance`` > 0) or an energy model (``required``) was asked for."""
    energy = EnergyModel.of(loaded)
    if energy is None and (required or guidance > 0):
        raise ConfigError(
            f"'{loaded.path.name}' is a {loaded.kind.upper()} model without an energy head; "
            "energy guidance and ranking need a DAO-P checkpoint"
        )
    return energy
