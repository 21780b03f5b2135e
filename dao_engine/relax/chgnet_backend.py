"""CHGNet (PyPI ``chgnet``; pretrained weights ship inside the package) as a second opinion:
energies of structures and relaxation with a physics-trained universal potential.

Energies are CHGNet's total energy per atom (eV/atom, MP-compatible GGA/GGA+U scale); they are
not formation energies. The model loads once per process.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Sequence
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


#: a relaxation stops when the cell shrinks below this fraction of its starting volume (CHGNet's
#: neighbour lists, and its memory, grow with density: a collapsing cell took 18 GB)
MIN_VOLUME_FRACTION = 0.35
#: ... or grows beyond this multiple of it
MAX_VOLUME_FACTOR = 4.0


class _CellCollapsed(Exception):
    """Raised inside the calculator before a force evaluation of a collapsed or exploded cell."""


@lru_cache(maxsize=1)
def _guarded_calculator() -> Any:
    """One CHGNet calculator per process (made quietly) that refuses, before evaluating, a cell
    whose volume per atom left its ``bounds`` (Å³, set per relaxation)."""
    from chgnet.model import CHGNetCalculator

    class Guarded(CHGNetCalculator):  # type: ignore[misc]
        bounds = (0.0, float("inf"))

        def calculate(self, atoms=None, properties=None, system_changes=None, **kwargs):  # type: ignore[no-untyped-def]
            if atoms is not None:
                volume = float(atoms.get_volume()) / len(atoms)
                if not self.bounds[0] <= volume <= self.bounds[1]:
                    raise _CellCollapsed(f"the cell went to {volume:.3g} Å³/atom")
            super().calculate(atoms, properties, system_changes, **kwargs)

    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        return Guarded(model=_model())


def relax_with_chgnet(
    crystal: Crystal,
    fmax: float = 0.05,
    steps: int = 300,
    relax_cell: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> ChgnetRelaxation:
    """FIRE relaxation of positions (and the cell, through ASE's FrechetCellFilter) with CHGNet
    forces and stresses, until every force is below ``fmax`` (eV/Å) or ``steps`` steps.

    ``should_stop`` is checked after every step (one CHGNet evaluation, ~0.1 s for 10 atoms on
    one CPU thread); when it returns True the relaxation ends there and the structure reached so
    far is returned. A cell that collapses below :data:`MIN_VOLUME_FRACTION` (or grows beyond
    :data:`MAX_VOLUME_FACTOR`) of its starting volume ends the relaxation at the last good
    state, reported in ``invalid``."""
    _model()  # ChgnetUnavailableError, one line, when chgnet is not installed
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor().get_atoms(structure_from_crystal(crystal))
    start = crystal.volume / crystal.num_atoms
    calculator = _guarded_calculator()
    calculator.bounds = (MIN_VOLUME_FRACTION * start, MAX_VOLUME_FACTOR * start)
    atoms.calc = calculator
    n = crystal.num_atoms
    energies: list[float] = []
    good = atoms.copy()
    aborted = None
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        moving = FrechetCellFilter(atoms) if relax_cell else atoms
        optimizer = FIRE(moving, logfile=None)
        try:
            for _ in optimizer.irun(fmax=fmax, steps=steps):
                energies.append(float(atoms.get_potential_energy()) / n)
                good = atoms.copy()
                if should_stop is not None and should_stop():
                    break
        except _CellCollapsed as exc:
            aborted = f"CHGNet relaxation stopped: {exc}"
    final = AseAtomsAdaptor().get_structure(good)
    relaxed = crystal_from_structure(final, label=f"{crystal.label} (CHGNet-relaxed)")
    if not energies:  # collapsed at once: no energy was computed
        energies = [float("nan")]
    return ChgnetRelaxation(relaxed, energies, aborted or validity_problem(relaxed))
