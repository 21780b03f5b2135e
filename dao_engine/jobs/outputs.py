"""What a GPU job writes: checkpoints within the transfer limit, and a JSON log kept up to date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from dao_engine.errors import ConfigError
from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.checkpoint import inference_payload, save_checkpoint
from dao_engine.training.loop import Trainer

#: largest file the device tool brings back
MAX_FILE_BYTES = 16 * 1024 * 1024
#: resumable checkpoint bytes per parameter: fp32 weights + fp32 EMA + two bf16 Adam moments
RESUMABLE_BYTES_PER_PARAM = 12


class JobLog:
    """A JSON object rewritten (atomically) at every :meth:`update`, so a job stopped by a
    timeout still leaves what it did. Only the main rank writes (``enabled``)."""

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        self.data: dict[str, Any] = {}

    def update(self, **values: Any) -> None:
        self.data.update(values)
        if not self.enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.data, indent=2, ensure_ascii=False, default=str) + "\n"
        write_text_atomic(self.path, text)  # unique temporary name, fsync, rename


def check_checkpoint_size(model: torch.nn.Module, allow_large: bool = False) -> int:
    """Estimated resumable checkpoint size in bytes; raises before any training when it would
    exceed :data:`MAX_FILE_BYTES` (unless ``allow_large``)."""
    params = sum(p.numel() for p in model.parameters())
    estimate = RESUMABLE_BYTES_PER_PARAM * params + 256 * 1024
    if estimate > MAX_FILE_BYTES and not allow_large:
        raise ConfigError(
            f"a resumable checkpoint of this model ({params:,} parameters) would be about "
            f"{estimate / 2**20:.1f} MiB, over the 16 MiB a device run can return; use a "
            "smaller model (e.g. --layers 6 --width 128) or --allow-large"
        )
    return estimate


def write_checkpoints(trainer: Trainer, checkpoint: Path) -> dict[str, Any]:
    """Write ``checkpoint`` (resumable) and ``<stem>_fp16.pt`` (EMA weights in fp16, no
    optimiser); returns their names and sizes in MiB and whether each fits 16 MiB."""
    full = trainer.save(checkpoint)
    compact = checkpoint.with_name(checkpoint.stem + "_fp16.pt")
    save_checkpoint(compact, inference_payload(trainer.state()))
    out = {}
    for label, path in (("resumable", full), ("fp16", compact)):
        size = path.stat().st_size
        out[label] = {
            "file": path.name,
            "mib": round(size / 2**20, 3),
            "fits_16_mib": size <= MAX_FILE_BYTES,
        }
    return out
