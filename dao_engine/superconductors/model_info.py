"""What a T_c ensemble file is, for display (reads only its small header, not the feature model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dao_engine.superconductors.ensemble import read_ensemble_payload


@dataclass(frozen=True)
class TcModelInfo:
    """Description of a T_c ensemble file.

    Attributes:
        path: the ensemble file.
        feature_model: file name of the DAO-P model whose crystal feature the heads read.
        members: number of ensemble members (cross-validation folds).
        log: the target the heads were trained on, e.g. ``"ln(Tc/K)"``.
        mae_log_tc: mean cross-validated MAE of that log (dimensionless), None when not recorded.
        variant: training variant (e.g. ``"with_augmentation"``), None when not recorded.
    """

    path: Path
    feature_model: str
    members: int
    log: str
    mae_log_tc: float | None
    variant: str | None

    @property
    def label(self) -> str:
        """``"dao-tc-ensemble-cpu.pt on dao-p-general-cpu.pt features"``."""
        return f"{self.path.name} on {self.feature_model} features"


def tc_model_info(path: str | Path) -> TcModelInfo:
    """Read an ensemble file's description; raises CheckpointError like loading it would."""
    path = Path(path)
    data = read_ensemble_payload(path)
    metadata = data.get("metadata") or {}
    mae = metadata.get("mae_log_tc")
    variant = metadata.get("variant")
    return TcModelInfo(
        path=path,
        feature_model=str(data["feature_model"]["file"]),
        members=len(data["heads"]),
        log=str(data.get("log", "ln(Tc/K)")),
        mae_log_tc=None if mae is None else float(mae),
        variant=None if variant is None else str(variant),
    )
