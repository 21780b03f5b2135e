"""Energy labels for DAO-P: normalisation stored in checkpoints, and conversions back to eV/atom.

The network's energy head predicts a *normalised* intermediate energy f(M_t, t); at t = 0 it
estimates (E₀ − mean)/scale of the training label (Eq. 10's minimiser at t = 0 is E₀ itself).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dao_engine.errors import DatasetError


@dataclass(frozen=True)
class EnergyNormalisation:
    """E_norm = (E − mean)/scale with scale = 2 × the labels' standard deviation, so E_norm stays
    within about ±2 and exp(−E_norm) in Eq. (10) within a sane range. ``label`` says which energy."""

    mean: float
    scale: float
    label: str = "formation energy per atom"
    unit: str = "eV/atom"

    @staticmethod
    def from_values(
        values: np.ndarray, label: str = "formation energy per atom", unit: str = "eV/atom"
    ) -> EnergyNormalisation:
        known = np.asarray(values, dtype=np.float64)
        known = known[np.isfinite(known)]
        if len(known) < 2:
            raise DatasetError(
                "DAO-P training needs energy labels, but fewer than 2 crystals have one"
            )
        return EnergyNormalisation(
            float(known.mean()), float(max(2 * known.std(), 1e-6)), label, unit
        )

    def normalise(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.scale

    def to_physical(self, normalised: float | np.ndarray) -> float | np.ndarray:
        """Normalised model output → ``unit`` (eV/atom)."""
        if isinstance(normalised, np.ndarray):
            return normalised * self.scale + self.mean
        return float(normalised) * self.scale + self.mean

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(values: dict[str, Any] | None) -> EnergyNormalisation | None:
        if not values:
            return None
        return EnergyNormalisation(
            **{k: values[k] for k in ("mean", "scale", "label", "unit") if k in values}
        )
