"""The CSP benchmark protocol (product.md "Benchmark protocol") on given predictions.

For n reference crystals and k shots each:
  1-shot           shot 1 of every reference; match rate = matched / n; RMSE = mean normalised
                   RMS distance over the matched references only.
  k-shot (oracle)  a reference is matched if any of its k shots matches; its RMSE is the
                   smallest among its matches (needs the answer, so it is an upper bound).
  energy-selected  the shot with the lowest predicted energy per atom, then matched — what a
                   user without the answer can do; skipped (with a note) without energies.
An invalid prediction (structure or SMACT composition, see :mod:`.validity`) counts as a miss.
Validity rates are over all n·k shots.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import ConfigError, DaoError
from dao_engine.evaluation.matching import MATCHER_SETTINGS, MatchOutcome, iter_matches
from dao_engine.evaluation.validity import Validity, check_prediction


@dataclass(frozen=True)
class Shot:
    """One prediction: ``crystal`` None when the sampler produced non-finite numbers;
    ``energy_per_atom`` the predicted energy (eV/atom) or None."""

    crystal: Crystal | None
    energy_per_atom: float | None = None


@dataclass(frozen=True)
class MatchSummary:
    """``match_rate`` in percent of all references; ``rmse`` mean over matched ones (None
    when nothing matched)."""

    match_rate: float
    rmse: float | None
    matched: int
    total: int


@dataclass(frozen=True)
class ValiditySummary:
    """Percent of all shots that are structurally valid, composition (SMACT) valid, and both."""

    structural: float
    composition: float
    both: float
    shots: int


@dataclass(frozen=True)
class MatchProgress:
    """Matching progress: ``done`` of ``total`` (prediction, reference) pairs."""

    done: int
    total: int


@dataclass(frozen=True)
class ProtocolResult:
    """Numbers of the protocol; ``rms[i][j]`` is shot j of reference i (None = miss);
    ``selected[i]`` the shot index chosen by energy (None without energies)."""

    one_shot: MatchSummary
    k_shot: MatchSummary
    energy_selected: MatchSummary | None
    validity: ValiditySummary
    shots: int
    references: int
    rms: tuple[tuple[float | None, ...], ...]
    selected: tuple[int | None, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self, per_reference: bool = False) -> dict[str, Any]:
        """Flat JSON-ready numbers (percent and dimensionless RMSE); ``per_reference`` adds the
        RMS table and the energy choice per reference."""
        energy = self.energy_selected
        out: dict[str, Any] = {
            "references": self.references,
            "shots": self.shots,
            "match_rate": self.one_shot.match_rate,
            "rmse": self.one_shot.rmse,
            "match_rate_k": self.k_shot.match_rate,
            "rmse_k": self.k_shot.rmse,
            "match_rate_energy": None if energy is None else energy.match_rate,
            "rmse_energy": None if energy is None else energy.rmse,
            "matched": self.one_shot.matched,
            "matched_k": self.k_shot.matched,
            "matched_energy": None if energy is None else energy.matched,
            "validity": {
                "structural": self.validity.structural,
                "composition": self.validity.composition,
                "both": self.validity.both,
                "shots": self.validity.shots,
            },
            "matcher": dict(MATCHER_SETTINGS),
            "notes": list(self.notes),
        }
        if per_reference:
            out["per_reference"] = [
                {"rms": list(r), "energy_selected_shot": s}
                for r, s in zip(self.rms, self.selected, strict=True)
            ]
        return out


def _check_inputs(references: Sequence[Crystal], predictions: Sequence[Sequence[Shot]]) -> int:
    if not references:
        raise ConfigError("the protocol needs at least one reference crystal")
    if len(predictions) != len(references):
        raise ConfigError(
            f"{len(predictions)} prediction lists for {len(references)} references; "
            "give one list of shots per reference"
        )
    shots = {len(p) for p in predictions}
    if len(shots) != 1 or 0 in shots:
        raise ConfigError(
            f"every reference needs the same number (≥ 1) of shots, got {sorted(shots)}"
        )
    return shots.pop()


def _summary(values: Sequence[float | None]) -> MatchSummary:
    matched = [v for v in values if v is not None]
    rmse = float(np.mean(matched)) if matched else None
    return MatchSummary(100.0 * len(matched) / len(values), rmse, len(matched), len(values))


def _best(row: Sequence[float | None]) -> float | None:
    found = [v for v in row if v is not None]
    return min(found) if found else None


def _lowest_energy(shots: Sequence[Shot]) -> int | None:
    energies = [s.energy_per_atom for s in shots]
    known = [(e, j) for j, e in enumerate(energies) if e is not None and np.isfinite(e)]
    return min(known)[1] if known else None


def _validity_summary(validity: Sequence[Sequence[Validity]]) -> ValiditySummary:
    flat = [v for row in validity for v in row]
    pct = lambda n: 100.0 * n / len(flat)  # noqa: E731
    return ValiditySummary(
        pct(sum(v.structure_ok for v in flat)),
        pct(sum(v.composition_ok for v in flat)),
        pct(sum(v.valid for v in flat)),
        len(flat),
    )


def evaluate_predictions_iter(
    references: Sequence[Crystal], predictions: Sequence[Sequence[Shot]], processes: int = 2
) -> Iterator[MatchProgress | ProtocolResult]:
    """Yield :class:`MatchProgress` while matching, then the :class:`ProtocolResult`."""
    k = _check_inputs(references, predictions)
    validity = [
        [check_prediction(s.crystal, _species(s, ref)) for s in shots]
        for ref, shots in zip(references, predictions, strict=True)
    ]
    pairs: list[tuple[Crystal, Crystal] | None] = [
        (s.crystal, ref) if v.valid and s.crystal is not None else None
        for ref, shots, row in zip(references, predictions, validity, strict=True)
        for s, v in zip(shots, row, strict=True)
    ]
    outcomes: list[MatchOutcome] = []
    step = max(1, len(pairs) // 50)
    for outcome in iter_matches(pairs, processes):
        outcomes.append(outcome)
        if len(outcomes) % step == 0 or len(outcomes) == len(pairs):
            yield MatchProgress(len(outcomes), len(pairs))
    rms = [tuple(o.rms for o in outcomes[i * k : (i + 1) * k]) for i in range(len(references))]
    yield _result(predictions, validity, rms, outcomes, k)


def _result(predictions, validity, rms, outcomes, k) -> ProtocolResult:  # type: ignore[no-untyped-def]
    notes = []
    errors = [o.error for o in outcomes if o.error]
    if errors:
        notes.append(
            f"{len(errors)} pairs raised in StructureMatcher and count as misses "
            f"(first: {errors[0]})"
        )
    selected = [_lowest_energy(shots) for shots in predictions]
    energy = None
    if all(j is not None for j in selected):
        energy = _summary([row[j] for row, j in zip(rms, selected, strict=True)])
    else:
        missing = sum(j is None for j in selected)
        why = " (no predicted energies: no energy model)" if missing == len(selected) else ""
        notes.append(
            f"energy-selected skipped: {missing} of {len(selected)} references have no "
            f"finite predicted energy{why}"
        )
        selected = [None] * len(selected)
    return ProtocolResult(
        one_shot=_summary([row[0] for row in rms]),
        k_shot=_summary([_best(row) for row in rms]),
        energy_selected=energy,
        validity=_validity_summary(validity),
        shots=k,
        references=len(rms),
        rms=tuple(rms),
        selected=tuple(selected),
        notes=tuple(notes),
    )


def _species(shot: Shot, reference: Crystal) -> np.ndarray:
    """The composition to test: the prediction's, or the reference's for a non-finite sample."""
    return reference.species if shot.crystal is None else shot.crystal.species


def evaluate_predictions(
    references: Sequence[Crystal], predictions: Sequence[Sequence[Shot]], processes: int = 2
) -> ProtocolResult:
    """Run the protocol to the end (see the module docstring)."""
    for item in evaluate_predictions_iter(references, predictions, processes):
        if isinstance(item, ProtocolResult):
            return item
    raise DaoError("the protocol ended without a result")
