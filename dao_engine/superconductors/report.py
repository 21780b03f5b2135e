"""Write the study's results: ``tc_cv.json``, ``tc_case_studies.json``, a markdown report and a
predicted-vs-experimental T_c plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from dao_engine.datasets.supercon import CASE_STUDY_TC
from dao_engine.io.atomic import atomic_open, write_text_atomic
from dao_engine.superconductors.crossval import CrossValidation
from dao_engine.superconductors.ensemble import TcPrediction
from dao_engine.superconductors.study import StudyConfig, StudyResult

LN10 = math.log(10.0)


def _round(values: list[float], digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values]


def _cv_record(cv: CrossValidation) -> dict[str, Any]:
    return {
        "mae_log_tc": round(cv.mean_mae, 4),
        "fold_mae_log_tc": _round(cv.fold_mae),
        "mae_log10_tc": round(cv.mean_mae / LN10, 4),
        "fold_sizes": [len(f) for f in cv.folds],
        "out_of_fold_ln_tc": _round(cv.out_of_fold.tolist(), 3),
    }


def _tc(prediction: TcPrediction | None) -> dict[str, Any] | None:
    if prediction is None:
        return None
    return {
        "tc_K": round(prediction.tc, 3),
        "spread_K": [round(prediction.tc_low, 3), round(prediction.tc_high, 3)],
        "ln_tc_std": round(prediction.ln_tc_std, 4),
        "members_K": _round(list(prediction.members), 3),
    }


def cv_record(
    result: StudyResult, config: StudyConfig, provenance: dict[str, Any]
) -> dict[str, Any]:
    """The ``tc_cv.json`` content; ``mae_log_tc`` is the augmented (shipped) variant's fold mean."""
    generated = result.generated
    return {
        **provenance,
        "log": "natural log, ln(Tc / K); mae_log10_tc = mae_log_tc / ln 10",
        "n_sc_s": len(result.sc_s_log_tc),
        "n_sc_ns_generated": len(generated.crystals),
        "n_sc_ns_over_atom_limit": generated.too_large,
        "n_sc_ns_implausible": generated.implausible,
        "folds": config.k,
        "fold_seed": config.seed,
        "head": config.head.to_dict(),
        "sampling_steps": config.steps,
        "mae_log_tc": round(result.augmented.mean_mae, 4),
        "with_augmentation": _cv_record(result.augmented),
        "without_augmentation": _cv_record(result.plain),
        "predict_median_mae_log_tc": round(
            float(np.abs(result.sc_s_log_tc - np.median(result.sc_s_log_tc)).mean()), 4
        ),
        "shipped_variant": "with_augmentation"
        if result.shipped is result.augmented
        else "without_augmentation",
        "paper": {"without_augmentation": 0.747, "with_augmentation": 0.709},
        "seconds": result.seconds,
        "sc_s_ids": result.sc_s_ids,
        "sc_s_ln_tc": _round(result.sc_s_log_tc.tolist(), 4),
    }


def case_record(
    result: StudyResult, config: StudyConfig, provenance: dict[str, Any]
) -> dict[str, Any]:
    """The ``tc_case_studies.json`` content: RMSE vs shots and ensemble T_c per case study."""
    cases = {}
    for case in result.case_studies:
        formula = case.shots.formula
        cases[formula] = {
            "num_atoms": case.shots.num_atoms,
            "experimental_tc_K": CASE_STUDY_TC.get(formula),
            "best_rmse": case.shots.best_of_first(len(case.shots.rmse)),
            "best_rmse_vs_shots": case.shots.curve(),
            "matched_shots": sum(r is not None for r in case.shots.rmse),
            "rmse_per_shot": [None if r is None else round(r, 5) for r in case.shots.rmse],
            "tc_on_reference_structure": _tc(case.tc_reference),
            "tc_on_best_generated_shot": _tc(case.tc_best_shot),
        }
    return {
        **provenance,
        "shots": config.shots,
        "sampling_steps": config.steps,
        "step_lr": config.step_lr,
        "rmse": "StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10) normalised RMS distance",
        "paper_best_rmse": {"CsV3Sb5": 0.0085, "Zr4Pd2O": 0.0172, "Zr4Rh2O": 0.0212},
        "cases": cases,
    }


def write_json(path: Path, record: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(record, indent=2) + "\n")
    return path


def plot_parity(result: StudyResult, path: Path) -> Path:
    """Out-of-fold predicted vs experimental T_c (log axes) for both variants, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    true = np.exp(result.sc_s_log_tc)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
    for ax, (name, cv) in zip(
        axes,
        [("without augmentation", result.plain), ("with SC-ns augmentation", result.augmented)],
        strict=True,
    ):
        ax.scatter(true, np.exp(cv.out_of_fold), s=8, alpha=0.5)
        lo, hi = float(true.min()) / 2, float(true.max()) * 2
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi))
        ax.set_xlabel("experimental $T_c$ (K)")
        ax.set_title(f"{name}: MAE ln $T_c$ = {cv.mean_mae:.3f}")
    axes[0].set_ylabel("predicted $T_c$ (K), out of fold")
    markers = iter(["*", "P", "X", "D"])
    for case in result.case_studies:
        tc_exp = CASE_STUDY_TC.get(case.shots.formula)
        if tc_exp is not None:
            axes[1].scatter(
                [tc_exp],
                [case.tc_reference.tc],
                marker=next(markers, "o"),
                s=110,
                edgecolor="black",
                zorder=3,
                label=f"{case.shots.formula}: {tc_exp} K exp., {case.tc_reference.tc:.2f} K pred.",
            )
    if axes[1].get_legend_handles_labels()[0]:
        axes[1].legend(loc="upper left", fontsize=8, title="case studies (never trained on)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_open(path) as handle:  # a failed write keeps the old plot whole
            fig.savefig(handle, format=path.suffix.lstrip(".") or "png", dpi=110)
    finally:
        plt.close(fig)
    return path
