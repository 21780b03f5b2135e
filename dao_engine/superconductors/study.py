"""The whole superconductor study (§2.5): SC-ns generation, T_c cross-validation, ensemble and
case studies, from already loaded inputs (so tests can run it on tiny fixtures)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.supercon import CompositionEntry
from dao_engine.models.loading import LoadedModel
from dao_engine.sampling.sampler import SamplerConfig
from dao_engine.sampling.settings import DEFAULT_STEPS
from dao_engine.superconductors.crossval import CrossValidation, cross_validate
from dao_engine.superconductors.ensemble import TcEnsemble, TcPrediction
from dao_engine.superconductors.features import crystal_features
from dao_engine.superconductors.generation import (
    CaseStudyShots,
    GeneratedSet,
    case_study_shots,
    generate_for_compositions,
)
from dao_engine.superconductors.head import HeadConfig, ln_tc

Log = Callable[[str], None]


@dataclass(frozen=True)
class StudyConfig:
    """steps: reverse-diffusion steps for every sample; shots: case-study samples each;
    step_lr: corrector scale; k: folds; seed: folds, heads and sampling."""

    steps: int = DEFAULT_STEPS
    shots: int = 20
    step_lr: float = 1e-5
    k: int = 5
    seed: int = 0
    head: HeadConfig = field(default_factory=HeadConfig)


@dataclass
class StudyInputs:
    """sc_s: SC-s crystals with a ``tc`` label (K); sc_ns: composition-only entries; references:
    the case-study structures (label = formula); feature_model_path: file of ``feature_model``;
    generated: SC-ns structures from an earlier run (None = sample them now)."""

    sc_s: CrystalArrays
    sc_ns: Sequence[CompositionEntry]
    references: Sequence[Crystal]
    generator: LoadedModel
    feature_model: LoadedModel
    feature_model_path: Path
    generated: GeneratedSet | None = None


@dataclass
class CaseStudyResult:
    shots: CaseStudyShots
    tc_reference: TcPrediction
    tc_best_shot: TcPrediction | None


@dataclass
class StudyResult:
    plain: CrossValidation
    augmented: CrossValidation
    sc_s_log_tc: np.ndarray
    sc_s_ids: list[str]
    generated: GeneratedSet
    case_studies: list[CaseStudyResult]
    seconds: dict[str, float]

    @property
    def shipped(self) -> CrossValidation:
        """The variant whose heads form the ensemble: augmented unless it is worse."""
        return self.augmented if self.augmented.mean_mae <= self.plain.mean_mae else self.plain


def _progress_log(log: Log, what: str) -> Callable[[int, int], None]:
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        log(f"  {what} {done}/{total} ({time.perf_counter() - started:.0f} s)")

    return report


def _timed(seconds: dict[str, float], name: str, started: float) -> None:
    seconds[name] = round(time.perf_counter() - started, 1)


def run_study(
    inputs: StudyInputs,
    config: StudyConfig,
    log: Log = print,
    on_generated: Callable[[GeneratedSet], None] | None = None,
) -> StudyResult:
    """Run every step and return the numbers; nothing is written (see :mod:`.report`) except by
    ``on_generated``, called with newly sampled SC-ns structures as soon as they exist (the
    slowest step: a later failure then does not cost the sampling again)."""
    seconds: dict[str, float] = {}
    sampler = SamplerConfig(steps=config.steps, step_lr=config.step_lr)
    started = time.perf_counter()
    generated = inputs.generated
    if generated is None:
        log(f"generating 1-shot structures for {len(inputs.sc_ns)} SC-ns compositions")
        generated = generate_for_compositions(
            inputs.generator, inputs.sc_ns, sampler, config.seed, _progress_log(log, "sampled")
        )
        _timed(seconds, "generate_sc_ns", started)
        if on_generated is not None:
            on_generated(generated)
    else:
        log(f"using {len(generated.crystals)} previously generated SC-ns structures")
    log(
        f"  kept {len(generated.crystals)}; {generated.too_large} over the atom limit, "
        f"{generated.implausible} implausible"
    )
    started = time.perf_counter()
    sc_s_crystals = inputs.sc_s.crystals()
    x = crystal_features(inputs.feature_model.model, sc_s_crystals)
    y = ln_tc(inputs.sc_s.labels["tc"])
    x_aug = crystal_features(inputs.feature_model.model, generated.crystals)
    y_aug = ln_tc(np.array([e.tc for e in generated.entries])) if generated.entries else np.zeros(0)
    _timed(seconds, "features", started)
    started = time.perf_counter()
    plain = cross_validate(x, y, config.head, config.k, config.seed)
    log(f"  {config.k}-fold MAE ln Tc without augmentation: {plain.mean_mae:.3f}")
    augmented = cross_validate(x, y, config.head, config.k, config.seed, x_aug, y_aug)
    log(f"  {config.k}-fold MAE ln Tc with augmentation: {augmented.mean_mae:.3f}")
    _timed(seconds, "cross_validation", started)
    result = StudyResult(
        plain, augmented, y, [str(i) for i in inputs.sc_s.ids], generated, [], seconds
    )
    started = time.perf_counter()
    result.case_studies = _case_studies(inputs, config, sampler, result, log)
    _timed(seconds, "case_studies", started)
    return result


def ensemble_of(result: StudyResult, inputs: StudyInputs) -> TcEnsemble:
    """The shipped variant's fold heads on the feature model, as an in-memory ensemble."""
    return TcEnsemble(inputs.feature_model, result.shipped.heads, inputs.feature_model_path)


def _case_studies(
    inputs: StudyInputs,
    config: StudyConfig,
    sampler: SamplerConfig,
    result: StudyResult,
    log: Log,
) -> list[CaseStudyResult]:
    if not inputs.references:
        return []
    ensemble = ensemble_of(result, inputs)
    progress = _progress_log(log, "case-study shots")
    shots = case_study_shots(
        inputs.generator, inputs.references, config.shots, sampler, config.seed, progress
    )
    out = []
    for reference, case in zip(inputs.references, shots, strict=True):
        best = _best_shot(case)
        tc_ref = ensemble.predict([reference])[0]
        tc_best = ensemble.predict([best])[0] if best is not None else None
        out.append(CaseStudyResult(case, tc_ref, tc_best))
    return out


def _best_shot(case: CaseStudyShots) -> Crystal | None:
    scored = [(r, s) for r, s in zip(case.rmse, case.shots, strict=True) if r is not None]
    return min(scored, key=lambda pair: pair[0])[1] if scored else None
