"""Batched CHGNet relaxation: many crystals relaxed in lock-step, one batched CHGNet forward pass
(energy, forces, stress) per optimisation step for all crystals still moving.

Each crystal keeps its own FIRE state (Bitzek et al., PRL 97, 170201 (2006); the parameters of
ASE's ``FIRE``) over the degrees of freedom of ASE's ``FrechetCellFilter`` (atom positions and
the log of the cell deformation), so the result is the usual CHGNet relaxation; only the force
evaluations are grouped. On one CPU thread a batch of 10 eight-atom cells costs about half of ten
single evaluations. A crystal stops when every (generalised) force is below ``fmax`` (eV/Å),
after ``steps`` steps, or when its cell leaves the volume guard (CHGNet's neighbour lists and
memory grow with density: a collapsing cell once took 18 GB).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: a relaxation stops when the cell shrinks below this fraction of its starting volume ...
MIN_VOLUME_FRACTION = 0.35
#: ... or grows beyond this multiple of it
MAX_VOLUME_FACTOR = 4.0
#: structures per CHGNet forward pass
DEFAULT_BATCH_SIZE = 16


@dataclass
class Fire:
    """FIRE state of one structure (ASE's defaults: dt 0.1, maxstep 0.2 Å, dtmax 1.0, Nmin 5,
    finc 1.1, fdec 0.5, a_start 0.1, f_a 0.99)."""

    dt: float = 0.1
    a: float = 0.1
    velocity: np.ndarray | None = None
    n_positive: int = 0
    maxstep: float = 0.2
    dtmax: float = 1.0
    n_min: int = 5

    def displacement(self, forces: np.ndarray) -> np.ndarray:
        """The step (same shape as ``forces``, Å or the filter's units) for these forces."""
        if self.velocity is None:
            self.velocity = np.zeros_like(forces)
        else:
            power = float(np.vdot(forces, self.velocity))
            if power > 0.0:
                f_norm = np.sqrt(np.vdot(forces, forces))
                v_norm = np.sqrt(np.vdot(self.velocity, self.velocity))
                self.velocity = (1.0 - self.a) * self.velocity + self.a * forces / max(
                    f_norm, 1e-30
                ) * v_norm
                if self.n_positive > self.n_min:
                    self.dt = min(self.dt * 1.1, self.dtmax)
                    self.a *= 0.99
                self.n_positive += 1
            else:
                self.velocity = np.zeros_like(forces)
                self.a, self.dt, self.n_positive = 0.1, self.dt * 0.5, 0
        self.velocity = self.velocity + self.dt * forces
        step = self.dt * self.velocity
        norm = float(np.sqrt(np.vdot(step, step)))
        return step * (self.maxstep / norm) if norm > self.maxstep else step


@dataclass
class _Job:
    """One crystal being relaxed: its ASE atoms, the optimised object, FIRE, energies (eV/atom)."""

    atoms: Any
    moving: Any
    volume_bounds: tuple[float, float]
    fire: Fire = field(default_factory=Fire)
    energies: list[float] = field(default_factory=list)
    good: Any = None
    steps: int = 0
    aborted: str | None = None


def _results_setter() -> Any:
    """An ASE calculator that only holds results put there by the batched evaluation."""
    from ase.calculators.calculator import Calculator

    class Preset(Calculator):  # type: ignore[misc]
        implemented_properties = ["energy", "free_energy", "forces", "stress"]

        def calculate(self, atoms=None, properties=None, system_changes=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("no batched CHGNet result for this state of the structure")

        def put(self, atoms: Any, results: dict[str, Any]) -> None:
            self.atoms = atoms.copy()
            self.results = results

    return Preset()


def _evaluate(model: Any, jobs: Sequence[_Job], batch_size: int) -> None:
    """One batched CHGNet pass over ``jobs``; results stored in each job's calculator
    (energy eV, forces eV/Å, stress eV/Å³ as ASE expects)."""
    from ase import units
    from pymatgen.io.ase import AseAtomsAdaptor

    structures = [AseAtomsAdaptor.get_structure(j.atoms) for j in jobs]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        predictions = model.predict_structure(structures, task="efs", batch_size=batch_size)
    if isinstance(predictions, dict):
        predictions = [predictions]
    for job, p in zip(jobs, predictions, strict=True):
        n = len(job.atoms)
        energy = float(p["e"]) * n
        job.atoms.calc.put(
            job.atoms,
            {
                "energy": energy,
                "free_energy": energy,
                "forces": np.asarray(p["f"], dtype=float),
                "stress": np.asarray(p["s"], dtype=float) * units.GPa,
            },
        )


def _start(crystal: Any, relax_cell: bool) -> _Job:
    from ase.filters import FrechetCellFilter
    from pymatgen.io.ase import AseAtomsAdaptor

    from dao_engine.io.convert import structure_from_crystal

    atoms = AseAtomsAdaptor().get_atoms(structure_from_crystal(crystal))
    atoms.calc = _results_setter()
    start = crystal.volume / crystal.num_atoms
    moving = FrechetCellFilter(atoms) if relax_cell else atoms
    bounds = (MIN_VOLUME_FRACTION * start, MAX_VOLUME_FACTOR * start)
    return _Job(atoms, moving, bounds, good=atoms.copy())


def _max_force(forces: np.ndarray) -> float:
    """Largest per-row force norm (eV/Å), the convergence measure of ASE's optimisers."""
    return float(np.sqrt((forces**2).sum(axis=1).max())) if len(forces) else 0.0


def relax_batch_iter(
    model: Any,
    crystals: Sequence[Any],
    fmax: float = 0.05,
    steps: int = 300,
    relax_cell: bool = True,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[tuple[int, Any, list[float], str | None]]:
    """Relax ``crystals`` together; yield ``(index, final ASE atoms, energies eV/atom, aborted)``
    for each crystal as it finishes (converged, out of steps, volume guard) — in finishing order.

    ``should_stop`` is checked after every batched evaluation; when it returns True every crystal
    still moving is yielded at the state reached (its last evaluated one)."""
    jobs = {i: _start(c, relax_cell) for i, c in enumerate(crystals)}
    active = dict(jobs)
    while active:
        for i, job in list(active.items()):  # the volume guard, before CHGNet sees the cell
            volume = float(job.atoms.get_volume()) / len(job.atoms)
            low, high = job.volume_bounds
            if not low <= volume <= high:
                job.aborted = f"CHGNet relaxation stopped: the cell went to {volume:.3g} Å³/atom"
                del active[i]
                yield i, job.good, job.energies, job.aborted
        if not active:
            return
        _evaluate(model, list(active.values()), batch_size)
        stop = should_stop is not None and should_stop()
        for i, job in list(active.items()):
            job.energies.append(float(job.atoms.get_potential_energy()) / len(job.atoms))
            job.good = job.atoms.copy()
            forces = np.asarray(job.moving.get_forces(), dtype=float)
            if stop or job.steps >= steps or _max_force(forces) < fmax:
                del active[i]
                yield i, job.good, job.energies, None
                continue
            position = np.asarray(job.moving.get_positions(), dtype=float)
            job.moving.set_positions(position + job.fire.displacement(forces))
            job.steps += 1
        if stop:
            return
