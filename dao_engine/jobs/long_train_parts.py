"""The state of one ``dao train-long`` run: corpus, trainer, validation slice, curve rows."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dao_engine.errors import ConfigError
from dao_engine.events import StopCheck
from dao_engine.jobs.corpus import (
    CORPORA,
    EXCLUDE,
    HOLDS_OUT_VALIDATION,
    named_corpus,
    validation_slice,
)
from dao_engine.jobs.train_phase import ModelSettings, build_trainer, train_until
from dao_engine.model_card import git_commit, hardware_name
from dao_engine.models.loading import LoadedModel, resolve_device
from dao_engine.training.config import TrainConfig
from dao_engine.training.curve import LearningCurve, one_shot_match_rate, validation_loss
from dao_engine.training.data import training_set_from_arrays
from dao_engine.training.distributed import DistContext
from dao_engine.training.energy import EnergyNormalisation
from dao_engine.training.loop import learning_rate


class LongRun:
    """One session of a long training run (see :mod:`dao_engine.jobs.long_train`)."""

    def __init__(self, args: argparse.Namespace, stop: StopCheck) -> None:
        self.args, self.stop = args, stop
        self.checkpoint = Path(args.checkpoint)
        self.curve = LearningCurve(args.curve)
        self.device = resolve_device(args.device)
        self.losses: list[float] = []
        self.train_cpu_s = 0.0  # process CPU seconds spent training since the last curve row

    # ------------------------------------------------------------------ set-up
    def start(self) -> None:
        """Build the corpus (cached), the trainer (resumed when the checkpoint exists) and the
        validation slice."""
        a = self.args
        if a.corpus not in HOLDS_OUT_VALIDATION:  # its curve would measure crystals it trains on
            raise ConfigError(
                f"corpus {a.corpus!r} does not hold the validation slice out; the learning curve "
                f"needs one of {', '.join(HOLDS_OUT_VALIDATION)}"
            )
        corpus, info = named_corpus(a.corpus)
        self.val = validation_slice()
        self.corpus_info = info
        resume = self.checkpoint if self.checkpoint.is_file() else None
        model = ModelSettings(a.layers, a.width, a.heads, 20, energy_head=a.energy_weight > 0)
        config = TrainConfig(
            lr=a.lr,
            warmup_steps=a.warmup,
            total_steps=a.total_steps,
            batch_size=a.batch_size,
            seed=a.seed,
            energy_weight=a.energy_weight,
            log_every=100,
            checkpoint_every=1000,
        )
        metadata = {
            "data": f"corpus {a.corpus}: " + ",".join(CORPORA[a.corpus]),
            "deduplication": f"Algorithm 2 against {','.join(EXCLUDE)} and the validation "
            f"slice: {info['summary']}",
            "step_lr": 1e-5,
            "command": "dao train-long " + " ".join(_argv_tail()),
            "commit": git_commit(),
            "hardware": hardware_name(self.device.type, self.device.index or 0),
        }
        ctx = DistContext(device=self.device)
        self.ctx = ctx
        self.trainer = build_trainer(corpus, model, config, self.device, ctx, resume, metadata)
        self._maybe_new_cycle()
        self.val_set = self._validation_set()
        self.start_step = self.trainer.step
        self.run_started = time.monotonic()
        rows = self.curve.rows()
        self.previous = rows[-1] if rows else None
        self.last_match_min = max(
            (r["train_minutes"] for r in rows if r.get("val_match_1shot") is not None),
            default=None,
        )
        state = "resumed" if resume else "started"
        print(
            f"train-long: {state} at step {self.trainer.step}/{self.trainer.config.total_steps} "
            f"on {len(corpus)} crystals, {self.device}, {torch.get_num_threads()} thread(s); "
            f"checkpoint {self.checkpoint}",
            flush=True,
        )

    def _maybe_new_cycle(self) -> None:
        """With ``--new-cycle N`` and a finished schedule: a new warm-up + cosine cycle of N
        steps from here, written into the checkpoint's config so a resume keeps it."""
        a, cfg, step = self.args, self.trainer.config, self.trainer.step
        if not getattr(a, "new_cycle", None) or step < cfg.total_steps:
            return
        self.trainer.config = replace(
            cfg,
            cycle_start=step,
            total_steps=step + a.new_cycle,
            lr=a.cycle_lr,
            warmup_steps=a.warmup,
        )
        print(
            f"train-long: new cycle from step {step} to {step + a.new_cycle}, peak lr "
            f"{a.cycle_lr:g} after {a.warmup} warm-up steps",
            flush=True,
        )

    def _validation_set(self):  # type: ignore[no-untyped-def]
        data = training_set_from_arrays(self.val)
        norm = EnergyNormalisation.from_dict(self.trainer.energy_normalisation)
        if norm is not None:
            data.energy = torch.as_tensor(norm.normalise(self.val.energy), dtype=torch.float32)
        return data.to(self.device)

    # ------------------------------------------------------------------ training
    def finished(self) -> bool:
        return self.trainer.step >= self.trainer.config.total_steps

    def unmeasured_steps(self) -> bool:
        """True when the model trained past the last curve row."""
        return self.trained_steps() > 0 and (self.previous or {}).get("step") != self.trainer.step

    def trained_steps(self) -> int:
        return self.trainer.step - self.start_step

    def train_until(self, deadline: float) -> None:
        cpu_before = time.process_time()
        summary = train_until(
            self.trainer, deadline, self.checkpoint, self.ctx, echo=True, should_stop=self.stop
        )
        self.losses.extend(ev["loss"] for ev in summary["events"])
        self.train_cpu_s += time.process_time() - cpu_before

    # ------------------------------------------------------------------ measurements
    def match_due(self) -> bool:
        """A match every ``match_minutes`` of training (a fresh run waits a whole period)."""
        since = self.trainer.train_seconds / 60 - (self.last_match_min or 0.0)
        return since >= self.args.match_minutes

    def last_row_has_match(self) -> bool:
        return self.previous is not None and self.previous.get("val_match_1shot") is not None

    def measure(self, match: bool) -> dict[str, Any]:
        """Append one curve row (validation loss; the match rate when ``match``)."""
        trainer = self.trainer
        prev_row = self.previous or {}
        ema = trainer.ema_model()
        val = validation_loss(ema, trainer.diffusion, self.val_set, trainer.config.energy_weight)
        minutes = trainer.train_seconds / 60
        row: dict[str, Any] = {
            "step": trainer.step,
            "total_steps": trainer.config.total_steps,
            "structures_seen": trainer.step * trainer.config.batch_size * self.ctx.world_size,
            "train_minutes": round(minutes, 3),
            **self._minutes_by_device(minutes),
            "process_cpu_minutes": round(
                float(prev_row.get("process_cpu_minutes", 0.0)) + self.train_cpu_s / 60, 3
            ),
            "hardware": trainer.metadata.get("hardware"),
            "threads": torch.get_num_threads(),
            "train_loss": round(float(np.mean(self.losses)), 5) if self.losses else None,
            "val_loss": round(val["total"], 5),
            "val_parts": {k: round(v, 5) for k, v in val.items() if k != "total"},
            "lr": learning_rate(trainer.config, trainer.step),
            "val_match_1shot": None,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commit": trainer.metadata.get("commit"),
        }
        if match:
            loaded = LoadedModel(
                ema,
                trainer.diffusion,
                trainer.kind,
                self.checkpoint,
                trainer.step,
                dict(trainer.metadata),
                trainer.energy_normalisation,
            )
            rate = one_shot_match_rate(loaded, self.val.crystals(), steps=self.args.match_steps)
            row.update(
                val_match_1shot=rate.match_rate,
                val_match_rmse=rate.rmse,
                val_valid=rate.valid,
                val_match_n=rate.n,
                val_match_steps=self.args.match_steps,
                val_match_sampling_s=rate.sampling_s,
            )
            self.last_match_min = minutes
        self.curve.append(row)
        self.previous, self.losses, self.train_cpu_s = row, [], 0.0
        match_text = "" if not match else f", 1-shot match {row['val_match_1shot']:.1f} %"
        print(
            f"curve: step {row['step']} train loss {row['train_loss']} val loss "
            f"{row['val_loss']}{match_text}",
            flush=True,
        )
        return row

    def _minutes_by_device(self, minutes: float) -> dict[str, float]:
        """Cumulative CPU and GPU training minutes (this row's increase goes to this device)."""
        prev = self.previous or {}
        cpu, gpu = float(prev.get("cpu_minutes", 0.0)), float(prev.get("gpu_minutes", 0.0))
        delta = max(0.0, minutes - float(prev.get("train_minutes", 0.0)))
        if self.device.type == "cuda":
            gpu += delta
        else:
            cpu += delta
        return {"cpu_minutes": round(cpu, 3), "gpu_minutes": round(gpu, 3)}

    def summary(self, stopped_by: str) -> dict[str, Any]:
        return {
            "start_step": self.start_step,
            "end_step": self.trainer.step,
            "steps": self.trained_steps(),
            "total_steps": self.trainer.config.total_steps,
            "stopped_by": stopped_by,
            "wall_s": round(time.monotonic() - self.run_started, 1),
            "checkpoint": str(self.checkpoint),
        }


def _argv_tail() -> list[str]:
    import sys

    argv = sys.argv[1:]
    return argv[1:] if argv[:1] == ["train-long"] else argv
