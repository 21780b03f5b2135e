"""The training half of a GPU job: build or resume a trainer, train until a wall-clock deadline.

A resumed run takes the model and schedule settings stored in the checkpoint (so a model is
trained across several short runs on one learning-rate schedule); only ``compile``/``bf16``
follow the current run's settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dao_engine.diffusion.joint import JointDiffusion
from dao_engine.errors import CancelledError, DatasetError
from dao_engine.events import StopCheck
from dao_engine.io.checkpoint import load_checkpoint
from dao_engine.models.crysformer import Crysformer, CrysformerConfig
from dao_engine.training.config import TrainConfig
from dao_engine.training.data import training_set_from_arrays
from dao_engine.training.device_trainer import DeviceTrainer
from dao_engine.training.distributed import DeadlineStop, DistContext
from dao_engine.training.energy import EnergyNormalisation


@dataclass(frozen=True)
class ModelSettings:
    """Network size of a fresh model (ignored on resume). ``max_atoms``: largest cell."""

    layers: int = 6
    width: int = 128
    heads: int = 4
    max_atoms: int = 20
    energy_head: bool = False

    def config(self) -> CrysformerConfig:
        return CrysformerConfig(
            num_layers=self.layers,
            width=self.width,
            heads=self.heads,
            max_atoms=self.max_atoms,
            energy_head=self.energy_head,
        )


def _configs(
    model: ModelSettings, train: TrainConfig, resume: Path | None, total_steps: int | None
) -> tuple[CrysformerConfig, TrainConfig, dict[str, Any] | None]:
    """Model and training configs (from the checkpoint on resume; ``total_steps`` given extends
    or shortens its schedule) and the checkpoint dict."""
    if resume is None:
        return model.config(), train, None
    ckpt = load_checkpoint(resume)
    stored = TrainConfig.from_dict(ckpt.get("train_config") or {})
    stored = replace(stored, compile=train.compile, bf16=train.bf16, log_every=train.log_every)
    if total_steps is not None:
        stored = replace(stored, total_steps=total_steps)
    return CrysformerConfig.from_dict(ckpt["model_config"]), stored, ckpt


def build_trainer(
    arrays: Any,
    model: ModelSettings,
    train: TrainConfig,
    device: torch.device,
    ctx: DistContext,
    resume: Path | None = None,
    metadata: dict[str, Any] | None = None,
    total_steps: int | None = None,
) -> DeviceTrainer:
    """A :class:`DeviceTrainer` on ``arrays`` (a CrystalArrays; crystals above the model's
    ``max_atoms`` are dropped), resumed from ``resume`` when given (``total_steps``, when
    given, replaces the checkpoint's schedule length)."""
    model_cfg, train_cfg, ckpt = _configs(model, train, resume, total_steps)
    keep = np.flatnonzero(arrays.num_atoms <= model_cfg.max_atoms)
    if len(keep) == 0:
        raise DatasetError(f"no training crystal has ≤ {model_cfg.max_atoms} atoms")
    arrays = arrays.subset(keep)
    data = training_set_from_arrays(arrays)
    kind, norm = "dao-g", None
    if model_cfg.energy_head:
        kind = "dao-p"
        stored = EnergyNormalisation.from_dict((ckpt or {}).get("energy_normalisation"))
        norm = stored or EnergyNormalisation.from_values(arrays.energy)
        data.energy = torch.as_tensor(norm.normalise(arrays.energy), dtype=torch.float32)
    torch.manual_seed(train_cfg.seed)
    trainer = DeviceTrainer(
        Crysformer(model_cfg),
        JointDiffusion(),
        data,
        train_cfg,
        device,
        kind=kind,
        metadata={**(metadata or {}), "structures": len(arrays)},
        energy_normalisation=None if norm is None else norm.to_dict(),
        ctx=ctx,
        compact_moments=True,
    )
    if resume is not None:
        trainer.resume(resume)
    return trainer


def train_until(
    trainer: DeviceTrainer,
    deadline: float,
    checkpoint: Path,
    ctx: DistContext,
    echo: bool = True,
    should_stop: StopCheck | None = None,
) -> dict[str, Any]:
    """Train until ``total_steps``, the ``deadline`` (``time.monotonic`` s) or ``should_stop()``
    (a signal, checked between steps), whichever is first; the checkpoint is saved either way.
    Returns a JSON-ready summary with the logged events."""
    start_step, started = trainer.step, time.monotonic()
    events: list[dict[str, Any]] = []
    deadline_stop = DeadlineStop(deadline, ctx)

    def stop() -> bool:
        return deadline_stop() or (should_stop is not None and should_stop())

    reason = "total_steps reached"
    try:
        for ev in trainer.run(checkpoint_path=checkpoint, should_stop=stop):
            events.append(_event_dict(ev))
            if echo and ctx.is_main:
                print(
                    f"step {ev.step}/{ev.total_steps} loss {ev.loss:.4f} lr {ev.lr:.2e} "
                    f"{ev.structures_per_s:.0f} structures/s",
                    flush=True,
                )
    except CancelledError:
        reason = "wall-clock budget" if deadline_stop.stopped else "stop requested"
    if trainer.step == start_step and start_step >= trainer.config.total_steps:
        reason = "already at total_steps"
    wall = time.monotonic() - started
    steps = trainer.step - start_step
    seen = steps * trainer.config.batch_size * ctx.world_size
    return {
        "start_step": start_step,
        "end_step": trainer.step,
        "steps": steps,
        "total_steps": trainer.config.total_steps,
        "stopped_by": reason,
        "wall_s": round(wall, 3),
        "structures_per_s": round(seen / wall, 2) if wall > 0 else None,
        "train_minutes_total": round(trainer.train_seconds / 60, 3),
        "world_size": ctx.world_size,
        "global_batch": trainer.config.batch_size * ctx.world_size,
        "events": events,
    }


def _event_dict(ev: Any) -> dict[str, Any]:
    return {
        "step": ev.step,
        "loss": round(ev.loss, 5),
        "parts": {k: round(v, 5) for k, v in ev.parts.items()},
        "lr": ev.lr,
        "structures_per_s": round(ev.structures_per_s, 2),
    }
