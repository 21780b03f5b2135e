"""The T_c ensemble: five cross-validation heads on one feature model, saved as one file.

File format (``torch.save`` of plain types and tensors, read with ``weights_only=True``)::

    {"format": "dao-tc-ensemble", "version": 1, "log": "ln(Tc/K)",
     "feature_model": {"file": "dao-p-general-cpu.pt", "sha256": "..."},
     "width": W, "head_config": {...}, "heads": [state_dict, ...], "metadata": {...}}

The feature model is looked up beside the ensemble file (shipped models) or at its recorded path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import CheckpointError
from dao_engine.io.atomic import atomic_open
from dao_engine.models.loading import LoadedModel, load_model
from dao_engine.superconductors.features import crystal_features
from dao_engine.superconductors.head import HeadConfig, TcHead, predict_head

FORMAT = "dao-tc-ensemble"
VERSION = 1


@dataclass(frozen=True)
class TcPrediction:
    """Predicted critical temperature of one crystal.

    Attributes:
        tc: ensemble T_c in K, exp of the members' mean ln T_c (a geometric mean).
        tc_low, tc_high: exp(mean ∓ std) of the members' ln T_c, in K (the spread).
        ln_tc_mean, ln_tc_std: mean and standard deviation of ln(T_c / K) over the members.
        members: each member's T_c in K.
    """

    tc: float
    tc_low: float
    tc_high: float
    ln_tc_mean: float
    ln_tc_std: float
    members: tuple[float, ...]

    def text(self) -> str:
        """One line, e.g. ``T_c ≈ 2.4 K (1.6–3.5 K over 5 models)``."""
        return (
            f"T_c ≈ {self.tc:.3g} K ({self.tc_low:.3g}–{self.tc_high:.3g} K "
            f"over {len(self.members)} models)"
        )


def prediction_from_members(ln_values: np.ndarray) -> TcPrediction:
    """Combine the members' ln T_c (K, members) of one crystal into a :class:`TcPrediction`."""
    ln_values = np.asarray(ln_values, dtype=np.float64)
    mean, std = float(ln_values.mean()), float(ln_values.std())
    return TcPrediction(
        tc=float(np.exp(mean)),
        tc_low=float(np.exp(mean - std)),
        tc_high=float(np.exp(mean + std)),
        ln_tc_mean=mean,
        ln_tc_std=std,
        members=tuple(float(v) for v in np.exp(ln_values)),
    )


def save_ensemble(
    path: str | Path,
    heads: Sequence[TcHead],
    config: HeadConfig,
    feature_model: Path,
    metadata: dict[str, Any],
) -> Path:
    """Write the ensemble (float32 heads, a few hundred kB) next to nothing else."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "log": "ln(Tc/K)",
        "feature_model": {
            "file": feature_model.name,
            "path": str(feature_model),
            "sha256": hashlib.sha256(feature_model.read_bytes()).hexdigest(),
        },
        "width": int(heads[0].feature_mean.shape[0]),
        "head_config": config.to_dict(),
        "heads": [{k: v.detach().cpu() for k, v in h.state_dict().items()} for h in heads],
        "metadata": metadata,
    }
    with atomic_open(path) as handle:  # a failed write keeps the old ensemble whole
        torch.save(payload, handle)
    return path


class TcEnsemble:
    """Feature model + heads; :meth:`predict` maps crystals to :class:`TcPrediction` s."""

    def __init__(self, feature_model: LoadedModel, heads: Sequence[TcHead], path: Path) -> None:
        self.feature_model = feature_model
        self.heads = list(heads)
        self.path = path

    def member_ln_tc(
        self, crystals: Sequence[Crystal], progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """(M, K) ln T_c of every member for every crystal."""
        features = crystal_features(self.feature_model.model, crystals, progress=progress)
        return np.stack([predict_head(h, features) for h in self.heads], axis=1)

    def predict(
        self, crystals: Sequence[Crystal], progress: Callable[[int, int], None] | None = None
    ) -> list[TcPrediction]:
        """One :class:`TcPrediction` per crystal (any size; large cells go in small batches)."""
        if not crystals:
            return []
        return [prediction_from_members(row) for row in self.member_ln_tc(crystals, progress)]


def read_ensemble_payload(path: Path) -> dict[str, Any]:
    """The checked payload dict of an ensemble file (CheckpointError when it is not one)."""
    if not path.is_file():
        raise CheckpointError(f"T_c model '{path}' does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for damaged files
        raise CheckpointError(
            f"'{path}' is not a readable T_c model ({type(exc).__name__})"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"'{path}' is not a DAO T_c ensemble (made by 'dao tc-study')")
    if int(data.get("version", 0)) > VERSION:
        raise CheckpointError(f"'{path}' was written by a newer DAO Studio; update to read it")
    return data


def _feature_model_path(path: Path, entry: dict[str, str]) -> Path:
    beside = path.parent / entry["file"]
    candidate = beside if beside.is_file() else Path(entry.get("path", ""))
    if not candidate.is_file():
        raise CheckpointError(
            f"the T_c model '{path.name}' needs its feature model '{entry['file']}', "
            f"which is neither beside it nor at '{entry.get('path')}'"
        )
    if hashlib.sha256(candidate.read_bytes()).hexdigest() != entry["sha256"]:
        raise CheckpointError(
            f"'{candidate}' is not the feature model the T_c model '{path.name}' was trained on "
            "(sha256 differs)"
        )
    return candidate


def load_ensemble(path: str | Path, device: str | torch.device = "auto") -> TcEnsemble:
    """Read an ensemble and its feature model; clear :class:`CheckpointError` on any problem."""
    path = Path(path)
    data = read_ensemble_payload(path)
    feature_model = load_model(_feature_model_path(path, data["feature_model"]), device)
    config = HeadConfig(**data["head_config"])
    heads = []
    for state in data["heads"]:
        head = TcHead(int(data["width"]), config)
        try:
            head.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(f"'{path}' holds a damaged T_c head: {str(exc)[:200]}") from exc
        heads.append(head.eval())
    if feature_model.model.config.width != int(data["width"]):
        raise CheckpointError(f"'{path}': feature width does not match its feature model")
    return TcEnsemble(feature_model, heads, path)
