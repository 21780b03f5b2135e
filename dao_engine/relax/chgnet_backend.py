"""CHGNet (PyPI ``chgnet``; pretrained weights ship inside the package) as a second opinion:
energies of structures and relaxation with a physics-trained universal potential.

Energies are CHGNet's total energy per atom (eV/atom, MP-compatible GGA/GGA+U scale); they are
not formation energies. The model loads once per process.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import validity_problem
from dao_engine.errors import DaoError
from dao_engine.io.convert import crystal_from_structure, structure_from_crystal


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


def relax_many_with_chgnet_iter(
    crystals: Sequence[Crystal],
    fmax: float = 0.05,
    steps: int = 300,
    relax_cell: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[tuple[int, ChgnetRelaxation]]:
    """FIRE relaxation of positions (and the cell, ASE's FrechetCellFilter) of every crystal with
    CHGNet forces and stresses, one batched CHGNet pass per step for all crystals still moving
    (:mod:`dao_engine.relax.chgnet_batch`), until every force is below ``fmax`` (eV/Å) or
    ``steps`` steps. Yields ``(index into crystals, relaxation)`` as each one finishes.

    ``should_stop`` is checked after every batched evaluation (~0.1 s for one 10-atom crystal on
    one CPU thread); when it returns True every relaxation ends there with the structure reached
    so far. A cell that collapses below ``MIN_VOLUME_FRACTION`` (or grows beyond
    ``MAX_VOLUME_FACTOR``) of its starting volume ends at its last good state, reported in
    ``invalid``."""
    model = _model()  # ChgnetUnavailableError, one line, when chgnet is not installed
    from pymatgen.io.ase import AseAtomsAdaptor

    from dao_engine.relax.chgnet_batch import relax_batch_iter

    batch = relax_batch_iter(model, crystals, fmax, steps, relax_cell, should_stop)
    for i, atoms, energies, aborted in batch:
        relaxed = crystal_from_structure(
            AseAtomsAdaptor().get_structure(atoms), label=f"{crystals[i].label} (CHGNet-relaxed)"
        )
        energies = energies or [float("nan")]  # collapsed at once: no energy was computed
        yield i, ChgnetRelaxation(relaxed, energies, aborted or validity_problem(relaxed))


def relax_with_chgnet(
    crystal: Crystal,
    fmax: float = 0.05,
    steps: int = 300,
    relax_cell: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> ChgnetRelaxation:
    """One crystal through :func:`relax_many_with_chgnet_iter` (same arguments)."""
    return next(relax_many_with_chgnet_iter([crystal], fmax, steps, relax_cell, should_stop))[1]
