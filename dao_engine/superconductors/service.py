"""T_c prediction as the app and the CLI use it: shipped models, caching, formula → T_c."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import CheckpointError
from dao_engine.models.loading import resolve_device
from dao_engine.prediction import (
    MODELS_DIR,
    PredictProgress,
    PredictRequest,
    predict,
    verify_if_shipped,
)
from dao_engine.sampling.settings import DEFAULT_STEPS
from dao_engine.superconductors.ensemble import (
    TcEnsemble,
    TcPrediction,
    load_ensemble,
    prediction_from_members,
)

TC_MODEL_NAME = "dao-tc-ensemble-cpu.pt"
SC_GENERATOR_NAME = "dao-g-supercon-cpu.pt"


def default_tc_model_path() -> Path:
    """The shipped T_c ensemble (``$DAO_TC_MODEL`` overrides it)."""
    override = os.environ.get("DAO_TC_MODEL")
    return Path(override) if override else MODELS_DIR / TC_MODEL_NAME


def default_sc_generator_path() -> Path:
    """The shipped DAO-G fine-tuned on SC-s (generates structures for T_c of a formula)."""
    return MODELS_DIR / SC_GENERATOR_NAME


@lru_cache(maxsize=2)
def _cached_ensemble(path: str, device: str) -> TcEnsemble:
    return load_ensemble(path, device)


def get_tc_ensemble(path: str | Path | None = None, device: str = "auto") -> TcEnsemble:
    """Load (once per process) a T_c ensemble, the shipped one when ``path`` is None."""
    resolved = Path(path) if path is not None else default_tc_model_path()
    if not resolved.is_file():
        raise CheckpointError(f"T_c model '{resolved}' is missing; reinstall or run 'dao tc-study'")
    verify_if_shipped(resolved)
    return _cached_ensemble(str(resolved.resolve()), str(resolve_device(device)))


def predict_tc(
    crystals: Sequence[Crystal], tc_model: str | Path | None = None, device: str = "auto"
) -> list[TcPrediction]:
    """Ensemble T_c (K) with its spread for each crystal."""
    return get_tc_ensemble(tc_model, device).predict(list(crystals))


@dataclass(frozen=True)
class FormulaTc:
    """T_c of a composition through generated structures.

    Attributes:
        formula: the composition as given.
        shots: (crystal, its T_c prediction) for every plausible generated structure, in the
            generator's ranking order (lowest predicted energy first when it has an energy head).
        summary: the ensemble over all plausible shots' members (T_c and spread in K).
        skipped: generated structures left out as implausible.
    """

    formula: str
    shots: list[tuple[Crystal, TcPrediction]]
    summary: TcPrediction
    skipped: int


def predict_tc_for_formula(
    formula: str,
    shots: int = 5,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    generator: str | Path | None = None,
    tc_model: str | Path | None = None,
    device: str = "auto",
    on_progress: Callable[[PredictProgress], None] | None = None,
) -> FormulaTc:
    """Generate ``shots`` structures with the SC DAO-G and predict T_c on each plausible one."""
    checkpoint = Path(generator) if generator is not None else default_sc_generator_path()
    if generator is None:
        verify_if_shipped(checkpoint)
    request = PredictRequest(
        formula=formula,
        shots=shots,
        steps=steps,
        seed=seed,
        device=device,
        checkpoint=str(checkpoint),
    )
    result = predict(request, on_progress=on_progress)
    plausible = [c.crystal for c in result.candidates if not c.problem]
    if not plausible:
        raise CheckpointError(
            f"none of the {shots} generated structures of {formula} is plausible; try more shots"
        )
    ensemble = get_tc_ensemble(tc_model, device)
    members = ensemble.member_ln_tc(plausible)
    rows = [prediction_from_members(row) for row in members]
    summary = prediction_from_members(np.asarray(members).reshape(-1))
    return FormulaTc(
        formula,
        list(zip(plausible, rows, strict=True)),
        summary,
        len(result.candidates) - len(plausible),
    )
