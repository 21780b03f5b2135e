"""Model cards: a Markdown description written beside every checkpoint the project makes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.checkpoint import load_checkpoint


def git_commit(root: Path | None = None) -> str:
    """Short hash of HEAD (``unknown`` outside a git checkout)."""
    root = root or Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def hardware_name(device_type: str = "cpu", index: int = 0) -> str:
    """A readable name of the machine doing the work: the GPU's name, or the CPU model and cores."""
    import os

    if device_type == "cuda":
        import torch

        return torch.cuda.get_device_name(index)
    name = "CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def card_text(
    checkpoint: str | Path, metrics: dict[str, Any] | None = None, notes: str = ""
) -> str:
    """Markdown model card for ``checkpoint`` from its stored configs and metadata."""
    path = Path(checkpoint)
    ckpt = load_checkpoint(path)
    meta = dict(ckpt.get("metadata") or {})
    train = ckpt.get("train_config") or {}
    step = int(ckpt.get("step", 0))
    structures = int(meta.get("structures", 0) or 0)
    epochs = (
        step * int(train.get("batch_size", 0) or 0) / structures if structures else float("nan")
    )
    weights = ckpt["model"]
    n_params = sum(v.numel() for v in weights.values() if v.is_floating_point())
    lines = [
        f"# Model card: `{path.name}`",
        "",
        f"- **Kind**: {ckpt['kind'].upper()} ({'generator + energy model' if ckpt['kind'] == 'dao-p' else 'generator'})",
        f"- **File**: {path.stat().st_size / 1e6:.1f} MB, sha256 `{hashlib.sha256(path.read_bytes()).hexdigest()}`",
        f"- **Architecture**: Crysformer {ckpt['model_config']}, {n_params:,} parameters ({next(iter(weights.values())).dtype})",
        f"- **Diffusion**: {ckpt['diffusion_config']}",
        f"- **Data**: {meta.get('data', '?')} — {structures} crystals; de-duplication: {meta.get('deduplication', 'none')}",
        f"- **Training**: {step} optimiser steps ≈ {epochs:.1f} epochs, batch {train.get('batch_size')}, lr {train.get('lr')}, "
        f"warm-up {train.get('warmup_steps')}, EMA {train.get('ema_decay')}, energy weight {train.get('energy_weight')}",
        f"- **Hardware / time**: {meta.get('hardware', '?')}, {meta.get('train_minutes', '?')} min of training",
        f"- **Command**: `{meta.get('command', '?')}`",
        f"- **Commit**: {meta.get('commit', git_commit())}",
    ]
    if ckpt.get("energy_normalisation"):
        norm = ckpt["energy_normalisation"]
        lines.append(
            f"- **Energy**: predicts {norm.get('label')} in {norm.get('unit')} (normalisation mean {norm.get('mean'):.4f}, scale {norm.get('scale'):.4f})"
        )
    if metrics:
        lines += ["", "## Metrics", ""] + [f"- **{k}**: {v}" for k, v in metrics.items()]
    if notes:
        lines += ["", "## Notes", "", notes.strip()]
    return "\n".join(lines) + "\n"


def write_card(
    checkpoint: str | Path,
    out: str | Path | None = None,
    metrics: dict[str, Any] | None = None,
    notes: str = "",
) -> Path:
    """Write the card to ``out`` (default: the checkpoint's path with ``.md``)."""
    target = Path(out) if out else Path(checkpoint).with_suffix(".md")
    write_text_atomic(target, card_text(checkpoint, metrics, notes))
    return target
