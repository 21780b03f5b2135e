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
import zipfile
from pathlib import Path
from typing import Any

import torch

from dao_engine.errors import CheckpointError

SCHEMA = "dao-studio-checkpoint"
SCHEMA_VERSION = 1
KINDS = ("dao-g", "dao-p")


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Write ``payload`` (schema fields are added) atomically: a temporary file, then rename."""
    path = Path(path)
    if payload.get("kind") not in KINDS:
        raise CheckpointError(
            f"checkpoint kind must be one of {KINDS}, got {payload.get('kind')!r}"
        )
    data = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, **payload}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        torch.save(data, handle)
        handle.flush()
        os.fsync(handle.fileno())  # on disk before the rename: a crash keeps old or new, whole
    os.replace(tmp, path)
    return path


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Read and validate a checkpoint; every failure is a :class:`CheckpointError` saying why."""
    path = Path(path)
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
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"'{path}' is corrupt or not a DAO Studio checkpoint ({first[:160]}); "
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
    missing = [k for k in ("kind", "model_config", "diffusion_config", "model") if k not in data]
    if missing:
        raise CheckpointError(f"'{path}' lacks required entries {missing}; it is incomplete")
    return data


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
