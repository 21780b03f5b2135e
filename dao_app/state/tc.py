"""T_c (superconducting critical temperature) as the app shows it: status and texts (no Qt).

Values are ``api.TcPrediction`` s (kelvin) stored on each candidate with the label of the model
that predicted them (``CandidateRecord.tc`` / ``tc_label``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dao_engine import api

DASH = "—"
CAVEAT = "experimental T_c scale, not a guarantee of superconductivity"
#: said wherever T_c is shown (column header, T_c tab)
ASSUMPTION = (
    "Assumes the material is a superconductor: the model was trained on known "
    "superconductors only (SuperCon3D) and predicts a T_c for any structure, NaCl included."
)
#: cell suffix of a T_c far from the training set
EXTRAPOLATION_MARK = "extrapolation"


@dataclass
class TcStatus:
    """What the T_c column can say about rows without a value.

    Attributes:
        enabled: the user's "Predict T_c" setting.
        problem: why the model cannot be used ("" when it can, or before it was tried).
        pending: uids whose T_c is being computed.
        info: the model in use, once its file was read.
    """

    enabled: bool = False
    problem: str = ""
    pending: set[int] = field(default_factory=set)
    info: api.TcModelInfo | None = None
    domain: dict[int, api.TcDomain | None] = field(default_factory=dict)

    def missing_reason(self) -> str:
        """Tooltip of a row without a T_c."""
        if not self.enabled:
            return "T_c prediction is off (Predict ▸ Predict T_c)."
        if self.problem:
            return f"No T_c: {self.problem}"
        return "T_c not predicted yet."


def tc_text(kelvin: float) -> str:
    """Cell text for a T_c in K: one decimal from 1 K up (``"2.4"``), two figures below."""
    if not math.isfinite(kelvin):
        return DASH
    return f"{kelvin:.1f}" if kelvin >= 1.0 else f"{kelvin:.2g}"


def tc_tooltip(tc: api.TcPrediction, label: str, domain: api.TcDomain | None = None) -> str:
    """The cell tooltip: spread, what it means, which model, the caveat and, when known, how
    far the structure is from the training set."""
    text = (
        f"ensemble of {len(tc.members)} models: {tc_text(tc.tc_low)}–{tc_text(tc.tc_high)} K "
        f"(exp(mean ± std) of ln T_c); predicted by {label or 'an unnamed model'}; {CAVEAT}"
    )
    if domain is not None:
        head = "EXTRAPOLATION — " if domain.extrapolation else ""
        text = f"{head}{domain.text()}\n{text}"
    else:
        text += "\n(no training-set distance for this model: extrapolation cannot be judged)"
    return f"{text}\n{ASSUMPTION}"


def model_description(info: api.TcModelInfo) -> str:
    """A few plain sentences on what the T_c model is (HTML-safe plain text)."""
    variant = f", {info.variant.replace('_', ' ')}" if info.variant else ""
    text = (
        f"{info.path.name}: an ensemble of {info.members} small neural networks (two-layer MLPs) "
        f"that read the crystal feature of the DAO-P model {info.feature_model}. They were "
        f"trained on {info.log} of SuperCon3D superconductors, one per fold of a "
        f"{info.members}-fold cross-validation{variant}."
    )
    if info.mae_log_tc is not None:
        factor = math.exp(info.mae_log_tc)
        text += (
            f" Cross-validated MAE of ln T_c: {info.mae_log_tc:.2f}, i.e. a typical prediction "
            f"is off by a factor of about {factor:.1f}."
        )
    return text + f" T_c values are on the {CAVEAT}. {ASSUMPTION}"


def tc_to_dict(tc: api.TcPrediction, label: str) -> dict[str, object]:
    """JSON form used in session files."""
    return {
        "tc": tc.tc,
        "tc_low": tc.tc_low,
        "tc_high": tc.tc_high,
        "ln_tc_mean": tc.ln_tc_mean,
        "ln_tc_std": tc.ln_tc_std,
        "members": list(tc.members),
        "label": label,
    }


def tc_from_dict(data: dict[str, object]) -> tuple[api.TcPrediction, str]:
    """Inverse of :func:`tc_to_dict`; raises KeyError/TypeError/ValueError on damaged input."""
    members = tuple(float(v) for v in data["members"])  # type: ignore[attr-defined]
    keys = ("tc", "tc_low", "tc_high", "ln_tc_mean", "ln_tc_std")
    values = {k: float(data[k]) for k in keys}  # type: ignore[arg-type]
    return api.TcPrediction(members=members, **values), str(data.get("label", ""))
