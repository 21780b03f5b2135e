"""Per-element reference energies that map total energies onto the formation-energy scale.

A formation energy per atom is the total energy per atom minus the composition-weighted
elemental references:  E_form = E_total − Σ_el x_el μ_el  with x_el the atomic fraction. Given
crystals with both a DFT formation energy and a CHGNet total energy, the μ_el that best explain
``E_CHGNet − E_form_DFT`` are found by linear least squares; they then turn CHGNet energies of
unlabelled crystals into teacher formation energies. NumPy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.errors import DatasetError


def composition_fractions(
    arrays: CrystalArrays, elements: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Atomic fractions of ``elements`` in every crystal.

    Args:
        elements: (E,) sorted atomic numbers.

    Returns:
        x: (M, E) float64 fractions (rows sum to 1 where ``covered``).
        covered: (M,) bool, True where every atom's element is in ``elements``.
    """
    elements = np.asarray(elements, dtype=np.int64)
    owner = np.repeat(np.arange(len(arrays)), arrays.num_atoms)
    species = arrays.species.astype(np.int64)
    column = np.clip(np.searchsorted(elements, species), 0, max(len(elements) - 1, 0))
    known = (elements[column] == species) if len(elements) else np.zeros(len(species), bool)
    x = np.zeros((len(arrays), len(elements)))
    np.add.at(x, (owner[known], column[known]), 1.0)
    x /= arrays.num_atoms[:, None]
    unknown_atoms = np.bincount(owner[~known], minlength=len(arrays))
    return x, unknown_atoms == 0


@dataclass(frozen=True)
class ReferenceEnergies:
    """μ_el (eV/atom) for the elements seen in the fit; E_form ≈ E_total − Σ x_el μ_el.

    Attributes:
        elements: (E,) sorted atomic numbers.
        mu: (E,) float64 reference energy of each element, eV/atom.
        fitted_on: number of crystals the fit used.
        rms_residual: root-mean-square fit residual, eV/atom.
    """

    elements: np.ndarray
    mu: np.ndarray
    fitted_on: int
    rms_residual: float

    @classmethod
    def fit(
        cls, arrays: CrystalArrays, total: np.ndarray, formation: np.ndarray
    ) -> ReferenceEnergies:
        """Least-squares μ from crystals with ``total`` (M,) and ``formation`` (M,) per atom, eV.

        Rows where either energy is not finite are left out. An element that appears only in
        crystals together with others in fixed ratio is not identifiable alone; lstsq then picks
        the minimum-norm μ, which still reproduces those compositions.
        """
        total = np.asarray(total, dtype=np.float64).reshape(-1)
        formation = np.asarray(formation, dtype=np.float64).reshape(-1)
        if len(total) != len(arrays) or len(formation) != len(arrays):
            raise DatasetError(
                f"got {len(total)} total and {len(formation)} formation energies for "
                f"{len(arrays)} crystals; pass one of each per crystal"
            )
        ok = np.isfinite(total) & np.isfinite(formation)
        if not ok.any():
            raise DatasetError(
                "no crystal has both a DFT formation energy and a teacher energy, so reference "
                "energies cannot be fitted; add labelled crystals (e.g. mp_20/train_first1000)"
            )
        fit_set = arrays.subset(ok)
        elements = np.unique(fit_set.species.astype(np.int64))
        x, _ = composition_fractions(fit_set, elements)
        target = total[ok] - formation[ok]
        mu, *_ = np.linalg.lstsq(x, target, rcond=None)
        residual = target - x @ mu
        return cls(elements, mu, int(ok.sum()), float(np.sqrt(np.mean(residual**2))))

    def formation(self, arrays: CrystalArrays, total: np.ndarray) -> np.ndarray:
        """(M,) E_total − Σ x μ, eV/atom; NaN for crystals with an element outside the fit."""
        x, covered = composition_fractions(arrays, self.elements)
        result = np.asarray(total, dtype=np.float64).reshape(-1) - x @ self.mu
        result[~covered] = np.nan
        return result

    def to_json(self) -> str:
        """JSON: ``mu_eV_per_atom`` ({"Na": ...}), ``fitted_on``, ``rms_residual_eV_per_atom``."""
        mu = {
            element_symbol(int(z)): round(float(v), 6)
            for z, v in zip(self.elements, self.mu, strict=True)
        }
        return json.dumps(
            {
                "mu_eV_per_atom": mu,
                "fitted_on": self.fitted_on,
                "rms_residual_eV_per_atom": round(self.rms_residual, 6),
            }
        )


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two (n,) arrays (ties get their average rank); NaN if n < 2
    or either is constant."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if len(a) != len(b):
        raise ValueError(f"spearman needs arrays of equal length, got {len(a)} and {len(b)}")
    if len(a) < 2:
        return float("nan")
    ra, rb = _ranks(a), _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=np.float64)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return np.bincount(inverse, weights=ranks)[inverse] / counts[inverse]
