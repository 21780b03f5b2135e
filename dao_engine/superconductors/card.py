"""The model card of a T_c ensemble, written by ``dao tc-study`` beside the ensemble file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from dao_engine.datasets.supercon import COMPOSITION_TOLERANCE


def _case_lines(cases: dict[str, Any]) -> str:
    lines = []
    for formula, case in cases["cases"].items():
        ref = case["tc_on_reference_structure"]
        lines.append(
            f"  - {formula}: experimental {case['experimental_tc_K']} K, predicted on the reference "
            f"structure {ref['tc_K']:.2f} K (spread {ref['spread_K'][0]:.2f}–{ref['spread_K'][1]:.2f} K)"
        )
    return "\n".join(lines)


def _folds(record: dict[str, Any]) -> str:
    return ", ".join(f"{v:.3f}" for v in record["fold_mae_log_tc"])


def ensemble_card(cv: dict[str, Any], cases: dict[str, Any], ensemble: Path) -> str:
    """Markdown card from the ``tc_cv.json`` and ``tc_case_studies.json`` records."""
    shipped = cv[cv["shipped_variant"]]
    plain, aug = cv["without_augmentation"], cv["with_augmentation"]
    head, seconds = cv["head"], cv["seconds"]
    sha = hashlib.sha256(ensemble.read_bytes()).hexdigest()
    return f"""# Model card: `{ensemble.name}`

- **Kind**: T_c ensemble — five two-layer MLP heads ({head["hidden"]} hidden, SiLU, dropout {head["dropout"]}) on the
  crystal feature (pooled h̄ at t = 0) of the frozen `{cv["feature_model"]}` (recorded by sha256 in the file)
- **File**: {ensemble.stat().st_size / 1e6:.2f} MB, sha256 `{sha}`; the feature model is loaded from beside it
- **Target**: ln(T_c / K) (natural log); prediction = exp(mean of the five), spread = exp(mean ± std)
- **Data**: SC-s = {cv["n_sc_s"]} ordered SuperCon3D structures (primitive cells, T_c > 0 K), the case
  studies CsV3Sb5, Zr4Rh2O, Zr4Pd2O excluded by composition (±{COMPOSITION_TOLERANCE:.0%} atom fraction)
  and by structure; augmentation: {cv["n_sc_ns_generated"]} SC-ns compositions (SuperCon, integer
  stoichiometry, no SC-s structure) with 1-shot structures from `{cv["generator"]}` ({cv["sampling_steps"]} steps)
- **Split**: {cv["folds"]}-fold cross-validation on SC-s (numpy default_rng({cv["fold_seed"]}) permutation);
  member i never saw fold i; generated SC-ns structures join every training fold, never a validation fold
- **Training**: per head AdamW lr {head["lr"]}, weight decay {head["weight_decay"]}, {head["epochs"]} epochs,
  batch {head["batch_size"]}, L1 loss, one-cycle schedule; variant shipped: {cv["shipped_variant"]}
- **Hardware / time**: {cv["hardware"]}; features {seconds["features"]} s, both cross-validations
  {seconds["cross_validation"]} s, SC-ns generation {seconds.get("generate_sc_ns", "reused from an earlier run")} s
- **Command**: `{cv["command"]}`
- **Commit**: {cv["commit"]}

## Metrics (`benchmarks/results/tc_cv.json`, `tc_case_studies.json`)

- **MAE of ln T_c, shipped variant**: **{shipped["mae_log_tc"]:.3f}** (log10: {shipped["mae_log10_tc"]:.3f})
- with augmentation: folds {_folds(aug)}; mean {aug["mae_log_tc"]:.3f} (paper 0.709)
- without augmentation: folds {_folds(plain)}; mean {plain["mae_log_tc"]:.3f} (paper 0.747)
- predicting the median ln T_c: {cv["predict_median_mae_log_tc"]:.3f}
- case studies (never trained on):
{_case_lines(cases)}

## Notes

- The paper fine-tunes all of DAO-P for T_c; here the backbone is frozen (CPU budget). An exploratory
  run that fine-tuned the backbone too (fold 1 only, 10–30 epochs, backbone lr 5e-5–3e-4) gave fold
  MAEs 0.78–0.83, no better than the frozen heads, so it was not kept.
- T_c is on the experimental SuperCon scale. A predicted T_c says nothing about whether a material
  superconducts at all (SC-s contains superconductors only).
"""
