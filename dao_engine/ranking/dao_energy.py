"""DAO-P energies (eV/atom) of candidates after relaxation, for ranking and display."""

from __future__ import annotations

from collections.abc import Sequence

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.ranking.sources import SourcedCandidate


def dao_energies(
    candidates: Sequence[SourcedCandidate],
    relaxed: Sequence[tuple[Crystal, bool]],
    problems: Sequence[str | None],
    checkpoint: str | None = None,
) -> list[float | None]:
    """The input's DAO-P energy where the structure is unchanged, else the DAO-P model's
    prediction at t = 0 (None for implausible cells, cells larger than the model takes, or a
    model without an energy head)."""
    values: list[float | None] = []
    todo: list[int] = []
    for i, (cand, (crystal, done)) in enumerate(zip(candidates, relaxed, strict=True)):
        keep = cand.dao_energy if (not done or crystal is cand.crystal) else None
        values.append(keep)
        if keep is None and problems[i] is None:
            todo.append(i)
    if todo:
        predicted = predict_energies([relaxed[i][0] for i in todo], checkpoint)
        for i, value in zip(todo, predicted, strict=True):
            values[i] = value
    return values


def predict_energies(
    crystals: Sequence[Crystal], checkpoint: str | None = None
) -> list[float | None]:
    """DAO-P predicted energy per atom (eV/atom) of each crystal; None where it cannot."""
    from dao_engine.models.energy_head import EnergyModel
    from dao_engine.prediction import get_model

    loaded = get_model(checkpoint, "cpu")
    energy = EnergyModel.of(loaded)
    if energy is None:
        return [None] * len(crystals)
    out: list[float | None] = []
    for crystal in crystals:
        if crystal.num_atoms > loaded.max_atoms:
            out.append(None)
            continue
        batch = CrystalBatch.from_crystals([crystal]).to(loaded.device)
        out.append(float(energy.final_energies(batch)[0]))
    return out
