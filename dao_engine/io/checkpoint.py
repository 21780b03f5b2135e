"""Checkpoints: one file holding weights, configs, schema version, data fingerprint and, for
resumable training, optimiser state. Loaded only with ``torch.load(weights_only=True)``.

Layout (a plain dict of tensors, numbers, strings, lists and dicts):
    schema "dao-studio-checkpoint", schema_version, kind ("dao-g" | "dao-p"),
    model_config, diffusion_config, train_config, model (state dict), ema (state dict or None),
    optimizer (state dict or None), step, data_fingerprint, energy_normalisation (or None),
    metadata (free-form: dataset, command, hardware, minutes, ...).
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from dao_engine.errors import CheckpointError
from dao_engine.io.atomic import atomic_open

SCHEMA = "dao-studio-checkpoint"
SCHEMA_VERSION = 1
KINDS = ("dao-g", "dao-p")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Write ``payload`` (schema fields are added) atomically: a temporary file, then rename."""
    path = Path(path)
    if payload.get("kind") not in KINDS:
        raise CheckpointError(
            f"checkpoint kind must be one of {KINDS}, got {payload.get('kind')!r}"
        )
    data = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, **payload}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as handle:  # a crash or full disk keeps the old file, whole
        torch.save(data, handle)
    return path


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Read and validate a checkpoint; every failure is a :class:`CheckpointError` saying why."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"'{path}' is a directory, not a checkpoint; give a .pt file")
    if not path.is_file():
        raise CheckpointError(f"no such checkpoint: '{path}'")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except (
        RuntimeError,
        pickle.UnpicklingError,
        zipfile.BadZipFile,
        EOFError,
        ValueError,
        OSError,
    ) as exc:
        raise CheckpointError(
            f"'{path}' is corrupt or not a DAO Studio checkpoint ({short_reason(exc)}); "
            "re-download or re-train it"
        ) from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise CheckpointError(
            f"'{path}' is not a DAO Studio checkpoint (it is a PyTorch file from elsewhere); "
            "use a checkpoint written by 'dao train'"
        )
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise CheckpointError(
            f"'{path}' has checkpoint schema {version}, newer than this DAO Studio ({SCHEMA_VERSION}); "
            "update DAO Studio"
        )
    validate_schema(data, path)
    return data


def validate_schema(data: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Check every field's presence and type; the first fault is a :class:`CheckpointError`.

    Required: ``kind`` one of :data:`KINDS`, ``model_config`` and ``diffusion_config`` dicts,
    ``model`` a non-empty dict of named tensors. Optional (absent or None allowed): ``ema`` like
    ``model``; ``train_config``, ``metadata``, ``energy_normalisation``, ``optimizer`` dicts;
    ``step`` a whole number ≥ 0. Shapes against the config are checked where the model is built
    (:func:`dao_engine.models.loading.check_weights_fit`).
    """
    missing = [k for k in ("kind", "model_config", "diffusion_config", "model") if k not in data]
    if missing:
        raise CheckpointError(f"'{path}' lacks required entries {missing}; it is incomplete")
    if data["kind"] not in KINDS:
        raise CheckpointError(
            f"'{path}' is of unknown kind {_show(data['kind'])}; expected one of {', '.join(KINDS)}"
        )
    for key in ("model_config", "diffusion_config"):
        _require_type(data, key, dict, path, "a dict of settings")
    for key in ("train_config", "metadata", "energy_normalisation", "optimizer"):
        if data.get(key) is not None:
            _require_type(data, key, dict, path, "a dict")
    step = data.get("step", 0)
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CheckpointError(f"'{path}' has step {_show(step)}; expected a whole number ≥ 0")
    _require_state_dict(data["model"], "model", path)
    if data.get("ema") is not None:
        _require_state_dict(data["ema"], "ema", path)


def _require_type(
    data: dict[str, Any], key: str, kind: type, path: str | os.PathLike[str], what: str
) -> None:
    """Raise CheckpointError unless ``data[key]`` is an instance of ``kind``."""
    value = data[key]
    if not isinstance(value, kind):
        raise CheckpointError(
            f"'{path}' is broken: '{key}' is a {type(value).__name__}, expected {what}"
        )


def _require_state_dict(weights: Any, key: str, path: str | os.PathLike[str]) -> None:
    """Raise CheckpointError unless ``weights`` is a non-empty dict of str → tensor."""
    if not isinstance(weights, dict):
        raise CheckpointError(
            f"'{path}' is broken: '{key}' is a {type(weights).__name__}, "
            "expected a dict of weight tensors"
        )
    if not weights:
        raise CheckpointError(f"'{path}' is broken: '{key}' holds no weight tensors")
    for name, value in weights.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise CheckpointError(
                f"'{path}' is broken: '{key}' entry {_show(name)} is a "
                f"{type(value).__name__}, expected a tensor"
            )


def _show(value: Any, limit: int = 40) -> str:
    """``repr(value)`` clipped at a word boundary, for messages."""
    return clip(repr(value), limit)


def clip(text: str, limit: int = 160) -> str:
    """``text`` without ANSI codes, on one line, cut at a word boundary to ≤ ``limit`` chars."""
    text = " ".join(_ANSI.sub("", text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def short_reason(exc: BaseException, limit: int = 160) -> str:
    """The first line of ``exc`` (or its type's name), clipped by :func:`clip`."""
    lines = str(exc).strip().splitlines()
    return clip(lines[0] if lines else type(exc).__name__, limit)


def inference_payload(
    checkpoint: dict[str, Any], dtype: torch.dtype = torch.float16
) -> dict[str, Any]:
    """A compact copy for shipping: EMA weights (or raw weights) in ``dtype``, no optimiser state."""
    weights = checkpoint.get("ema") or checkpoint["model"]
    compact = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in weights.items()}
    keep = {
        k: v
        for k, v in checkpoint.items()
        if k not in ("model", "ema", "optimizer", "schema", "schema_version")
    }
    return {**keep, "model": compact, "ema": None, "optimizer": None}
