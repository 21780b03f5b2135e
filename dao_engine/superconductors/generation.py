"""DAO-G sampling for the superconductor study: 1-shot SC-ns structures and case-study shots."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import validity_problem
from dao_engine.datasets.supercon import CompositionEntry
from dao_engine.evaluation.matching import rms_distance
from dao_engine.evaluation.protocol import Shot
from dao_engine.evaluation.runner import sample_shots_iter
from dao_engine.models.loading import LoadedModel
from dao_engine.sampling.sampler import SamplerConfig

#: Numbers of shots at which the case studies' best RMSE is reported (Fig. 5d of the paper).
SHOT_COUNTS = (1, 5, 10, 15, 20)
Progress = Callable[[int, int], None]


def composition_placeholder(species: Sequence[int], label: str) -> Crystal:
    """A crystal that only carries a composition (what the sampler reads from a reference)."""
    n = len(species)
    return Crystal(np.eye(3), np.zeros((n, 3)), np.asarray(species), label)


def _sample(
    generator: LoadedModel,
    targets: Sequence[Crystal],
    shots: int,
    config: SamplerConfig,
    seed: int,
    progress: Progress | None,
    batch_size: int = 128,
) -> list[list[Shot]]:
    iterator = sample_shots_iter(generator, targets, shots, config, seed, batch_size)
    while True:
        try:
            event = next(iterator)
        except StopIteration as stop:
            return list(stop.value[0])
        if progress is not None:
            progress(event.done, event.total)


@dataclass
class GeneratedSet:
    """1-shot structures for SC-ns entries; ``entries[i]`` produced ``crystals[i]``."""

    entries: list[CompositionEntry]
    crystals: list[Crystal]
    too_large: int
    implausible: int


def generate_for_compositions(
    generator: LoadedModel,
    entries: Sequence[CompositionEntry],
    config: SamplerConfig,
    seed: int = 0,
    progress: Progress | None = None,
) -> GeneratedSet:
    """One sample per entry (Z = 1, the reduced formula); entries over the model's atom limit and
    implausible samples (collapsed or exploded cells, overlapping atoms) are left out."""
    fits = [e for e in entries if e.composition.num_atoms <= generator.max_atoms]
    targets = [
        composition_placeholder(e.composition.species(), e.composition.formula) for e in fits
    ]
    rows = _sample(generator, targets, 1, config, seed, progress) if targets else []
    kept_entries, crystals, implausible = [], [], 0
    for entry, row in zip(fits, rows, strict=True):
        crystal = row[0].crystal if row else None
        if crystal is None or validity_problem(crystal) is not None:
            implausible += 1
            continue
        kept_entries.append(entry)
        crystals.append(
            Crystal(
                crystal.lattice,
                crystal.frac,
                crystal.species,
                entry.composition.formula,
                {"tc": entry.tc},
            )
        )
    return GeneratedSet(kept_entries, crystals, len(entries) - len(fits), implausible)


@dataclass
class CaseStudyShots:
    """RMSE (normalised, StructureMatcher) of every shot against the reference; None = no match."""

    formula: str
    num_atoms: int
    rmse: list[float | None]
    shots: list[Crystal | None]

    def best_of_first(self, k: int) -> float | None:
        """Lowest RMSE among the first ``k`` shots (None when none of them matches)."""
        values = [r for r in self.rmse[:k] if r is not None]
        return min(values) if values else None

    def curve(self, counts: Sequence[int] = SHOT_COUNTS) -> dict[str, float | None]:
        return {str(k): self.best_of_first(k) for k in counts if k <= len(self.rmse)}


def case_study_shots(
    generator: LoadedModel,
    references: Sequence[Crystal],
    shots: int,
    config: SamplerConfig,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[CaseStudyShots]:
    """``shots`` samples of each reference's exact composition, each matched against it."""
    targets = [composition_placeholder(r.species.tolist(), r.label) for r in references]
    rows = _sample(generator, targets, shots, config, seed, progress)
    out = []
    for reference, row in zip(references, rows, strict=True):
        crystals = [s.crystal for s in row]
        rmse = [rms_distance(c, reference) if c is not None else None for c in crystals]
        out.append(CaseStudyShots(reference.label, reference.num_atoms, rmse, crystals))
    return out


def save_generated(
    generated: GeneratedSet, path: str | Path, extra_meta: dict[str, str] | None = None
) -> Path:
    """Store generated SC-ns structures (and their entries' T_c, family, source formula) as npz."""
    from dao_engine.datasets.arrays import CrystalArrays

    meta = {
        "too_large": str(generated.too_large),
        "implausible": str(generated.implausible),
        "families": json.dumps([e.family for e in generated.entries]),
        "source_formulas": json.dumps([e.source_formula for e in generated.entries]),
        **(extra_meta or {}),
    }
    return CrystalArrays.from_crystals(generated.crystals, meta=meta).save_npz(path)


def load_generated(path: str | Path) -> GeneratedSet:
    """Read what :func:`save_generated` wrote."""
    from dao_engine.datasets.arrays import CrystalArrays
    from dao_engine.datasets.supercon import composition_of_species

    arrays = CrystalArrays.load_npz(path)
    crystals = arrays.crystals()
    families = json.loads(arrays.meta.get("families", "[]")) or [""] * len(crystals)
    sources = json.loads(arrays.meta.get("source_formulas", "[]")) or [""] * len(crystals)
    entries = [
        CompositionEntry(composition_of_species(c.species), float(c.properties["tc"]), f, s)
        for c, f, s in zip(crystals, families, sources, strict=True)
    ]
    return GeneratedSet(
        entries, crystals, int(arrays.meta["too_large"]), int(arrays.meta["implausible"])
    )
