"""CHGNet (PyPI ``chgnet``; pretrained weights ship inside the package) as a second opinion:
energies of structures and relaxation with a physics-trained universal potential.

Energies are CHGNet's total energy per atom (eV/atom, MP-compatible GGA/GGA+U scale); they are
not formation energies. The model loads once per process.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import DaoError
from dao_engine.io.convert import crystal_from_structure, structure_from_crystal
from dao_engine.relax.validity import check_validity


class ChgnetUnavailableError(DaoError):
    """CHGNet is not installed."""


@lru_cache(maxsize=1)
def _model() -> Any:
    try:
        from chgnet.model import CHGNet
    except ImportError as exc:
        raise ChgnetUnavailableError(
            "CHGNet is not installed; install the extra with \"pip install 'dao-studio[chgnet]'\" "
            "or 'pip install chgnet' (weights ship in the package)"
        ) from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CHGNet.load(verbose=False)


def chgnet_energies(crystals: Sequence[Crystal], batch_size: int = 16) -> list[float]:
    """CHGNet energy per atom (eV/atom) of each crystal."""
    structures = [structure_from_crystal(c) for c in crystals]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predictions = _model().predict_structure(structures, task="e", batch_size=batch_size)
    if isinstance(predictions, dict):
        predictions = [predictions]
    return [float(p["e"]) for p in predictions]


@dataclass(frozen=True)
class ChgnetRelaxation:
    """crystal: relaxed; energies: CHGNet energy per atom (eV/atom) along the trajectory;
    invalid: None or the reason the result is not a valid crystal."""

    crystal: Crystal
    energies: list[float]
    invalid: str | None


def relax_with_chgnet(
    crystal: Crystal, fmax: float = 0.05, steps: int = 300, relax_cell: bool = True
) -> ChgnetRelaxation:
    """FIRE relaxation of positions (and the cell) with CHGNet forces and stresses."""
    model = _model()  # ChgnetUnavailableError, one line, when chgnet is not installed
    from chgnet.model import StructOptimizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = StructOptimizer(model=model).relax(
            structure_from_crystal(crystal),
            fmax=fmax,
            steps=steps,
            relax_cell=relax_cell,
            verbose=False,
        )
    final: Any = result["final_structure"]
    trajectory: Any = result["trajectory"]
    relaxed = crystal_from_structure(final, label=f"{crystal.label} (CHGNet-relaxed)")
    n = crystal.num_atoms
    energies = [float(e) / n for e in trajectory.energies]
    return ChgnetRelaxation(relaxed, energies, check_validity(relaxed))
