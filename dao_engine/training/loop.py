"""The training loop: a generator of :class:`TrainEvent`, resumable from checkpoints.

Model, diffusion and data are injected; the loop knows nothing about datasets or the CLI.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from dao_engine.diffusion.joint import JointDiffusion
from dao_engine.errors import CancelledError, CheckpointError, TrainingDivergedError
from dao_engine.events import StopCheck, TrainEvent
from dao_engine.io.checkpoint import load_checkpoint, save_checkpoint
from dao_engine.models.crysformer import Crysformer
from dao_engine.training.config import TrainConfig
from dao_engine.training.data import TrainingSet
from dao_engine.training.losses import csp_loss


def epoch_seed(seed: int, epoch: int) -> int:
    """Seed of epoch ``epoch``'s batch order (depends on nothing else, so resuming keeps it)."""
    return seed * 1_000_003 + epoch


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up to ``lr`` over ``warmup_steps``, then cosine decay to ``lr·min_lr_ratio``
    at ``total_steps``; both counted from ``cycle_start`` (the step where this cycle began)."""
    step = step - config.cycle_start
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    span = max(1, config.total_steps - config.cycle_start - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    floor = config.lr * config.min_lr_ratio
    return floor + (config.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


class Trainer:
    """Trains a Crysformer with the CSP loss (plus the energy loss when ``energy_weight > 0``)."""

    def __init__(
        self,
        model: Crysformer,
        diffusion: JointDiffusion,
        data: TrainingSet,
        config: TrainConfig,
        device: str | torch.device = "cpu",
        kind: str = "dao-g",
        metadata: dict[str, Any] | None = None,
        energy_normalisation: dict[str, float] | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.diffusion, self.config, self.kind = diffusion, config, kind
        self.fingerprint = data.fingerprint()
        self.data = data.to(self.device)
        self.metadata = dict(metadata or {})
        self.energy_normalisation = energy_normalisation
        self.optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.ema = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
        self.step = 0
        self.train_seconds = 0.0
        self.noise_gen: torch.Generator | None = None
        self._saved_noise_state: tuple[str, torch.Tensor] | None = None
        cuda = self.device.type == "cuda"
        self.use_bf16 = cuda and config.bf16 in ("auto", "on")
        self.forward_model: torch.nn.Module = model
        if cuda and config.compile in ("auto", "on"):
            self.forward_model = torch.compile(model, dynamic=True)  # type: ignore[assignment]

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model_config": self.model.config.to_dict(),
            "diffusion_config": vars(self.diffusion.config).copy(),
            "train_config": self.config.to_dict(),
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "ema": {k: v.cpu() for k, v in self.ema.items()},
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "data_fingerprint": self.fingerprint,
            "energy_normalisation": self.energy_normalisation,
            "noise_rng": self._noise_rng_state(),
            "metadata": {**self.metadata, "train_minutes": round(self.train_seconds / 60, 2)},
        }

    def _noise_rng_state(self) -> dict[str, Any] | None:
        """The noise generator's state and device type (None before training started)."""
        generator = getattr(self, "noise_gen", None)
        if generator is None:
            return None
        return {"device": self.device.type, "state": generator.get_state()}

    def save(self, path: str | Path) -> Path:
        return save_checkpoint(path, self.state())

    def resume(self, path: str | Path, allow_other_data: bool = False) -> None:
        """Continue from a checkpoint written by :meth:`save` (weights, EMA, optimiser, step)."""
        ckpt = load_checkpoint(path, map_location=self.device)
        if ckpt["model_config"] != self.model.config.to_dict():
            raise CheckpointError(f"'{path}' holds a model of another size: {ckpt['model_config']}")
        if not allow_other_data and ckpt.get("data_fingerprint") != self.fingerprint:
            raise CheckpointError(
                f"'{path}' was trained on other data (fingerprint {ckpt.get('data_fingerprint')} ≠ "
                f"{self.fingerprint}); pass the same dataset, or start a fine-tune from it instead"
            )
        self.model.load_state_dict(ckpt["model"])
        if ckpt.get("ema"):
            self.ema = {k: v.to(self.device).float() for k, v in ckpt["ema"].items()}
        if ckpt.get("optimizer"):
            self.optimizer.load_state_dict(ckpt["optimizer"])
        self.step = int(ckpt.get("step", 0))
        rng = ckpt.get("noise_rng")
        if isinstance(rng, dict) and isinstance(rng.get("state"), torch.Tensor):
            self._saved_noise_state = (str(rng.get("device")), rng["state"])
        self.train_seconds = 60.0 * float((ckpt.get("metadata") or {}).get("train_minutes", 0.0))

    def initialise_from(self, path: str | Path) -> None:
        """Take the (EMA) weights of another checkpoint as a starting point (stage II, fine-tune).

        Heads missing from the source (e.g. an energy head when starting DAO-P from DAO-G) keep
        their fresh initialisation; optimiser state and step start anew.
        """
        ckpt = load_checkpoint(path, map_location=self.device)
        source = ckpt.get("ema") or ckpt["model"]
        own = self.model.state_dict()
        shared = {
            k: v.to(own[k].dtype) for k, v in source.items() if k in own and own[k].shape == v.shape
        }
        if len(shared) < len([k for k in own if not k.startswith("energy_head")]):
            raise CheckpointError(
                f"'{path}' holds a model of another architecture; cannot initialise from it"
            )
        self.model.load_state_dict(shared, strict=False)
        self.ema = {k: v.detach().clone().float() for k, v in self.model.state_dict().items()}

    # ------------------------------------------------------------------ training
    def _update_ema(self) -> None:
        decay = min(self.config.ema_decay, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for name, value in self.model.state_dict().items():
                shadow = self.ema[name]
                if value.is_floating_point():
                    shadow.mul_(decay).add_(value.detach().float(), alpha=1 - decay)
                else:
                    shadow.copy_(value)

    def _loss_parts(
        self, indices: torch.Tensor, generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Set this step's learning rate and compute the loss parts of one batch (no sync)."""
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.config, self.step)
        batch, energy = self.data.gather(
            indices, pad_multiple=4 if self.device.type == "cuda" else 1
        )
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.use_bf16):
            return csp_loss(
                self.forward_model,
                self.diffusion,
                batch,
                generator,
                energy,
                self.config.energy_weight,
            )

    def _apply_gradients(self, total: torch.Tensor) -> None:
        """Backward, clip, optimiser step, step count and EMA."""
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.step += 1
        self._update_ema()

    def _train_step(self, indices: torch.Tensor, generator: torch.Generator) -> dict[str, float]:
        parts = self._loss_parts(indices, generator)
        total = parts["total"]
        if not torch.isfinite(total):
            raise TrainingDivergedError(
                f"loss became {float(total.detach())} at step {self.step + 1} "
                f"(parts: { {k: float(v) for k, v in parts.items()} }); "
                "lower the learning rate or check the data for broken cells"
            )
        self._apply_gradients(total)
        return {k: float(v.detach()) for k, v in parts.items()}

    def _noise_seed(self) -> int:
        """Seed of a fresh noise generator (used when no saved generator state applies)."""
        return self.config.seed + 7919 + self.step

    def _noise_generator(self) -> torch.Generator:
        """The generator for t and the noise: restored from the checkpoint's state when it was
        saved on this kind of device (so a resumed run draws what an uninterrupted one would);
        the same generator goes on when ``run`` is called again in this process."""
        saved = self._saved_noise_state
        if self.noise_gen is not None and saved is None:
            return self.noise_gen
        generator = torch.Generator(device=self.device)
        if saved is not None and saved[0] == self.device.type:
            generator.set_state(saved[1])
        else:
            generator.manual_seed(self._noise_seed())
        self._saved_noise_state = None
        return generator

    def steps_per_epoch(self) -> int:
        """Optimiser steps in one pass over the data (per data-parallel rank)."""
        return self.data.batches_per_epoch(self.config.batch_size)

    def run(
        self, checkpoint_path: str | Path | None = None, should_stop: StopCheck | None = None
    ) -> Iterator[TrainEvent]:
        """Train until ``total_steps``; yield a TrainEvent every ``log_every`` steps and at the end.

        Checkpoints are written every ``checkpoint_every`` steps and at the end (and on cancel).
        Epoch ``e`` visits batches in an order fixed by ``(seed, e)``; a run resumed at step
        ``s`` skips the batches of its epoch already taken, so the data order (and, with the
        saved generator state, the noise) is that of a run never interrupted.
        """
        cfg = self.config
        self.model.train()
        self.noise_gen = self._noise_generator()
        window: list[dict[str, float]] = []
        seen, started = 0, time.perf_counter()
        steps_per_epoch = self.steps_per_epoch()
        while self.step < cfg.total_steps:
            epoch, offset = divmod(self.step, steps_per_epoch)
            batch_gen = torch.Generator().manual_seed(epoch_seed(cfg.seed, epoch))
            for position, indices in enumerate(self.data.epoch_batches(cfg.batch_size, batch_gen)):
                if position < offset:
                    continue
                if should_stop is not None and should_stop():
                    if checkpoint_path is not None:
                        self.save(checkpoint_path)
                    raise CancelledError(f"training cancelled at step {self.step}")
                tick = time.perf_counter()
                window.append(self._train_step(indices, self.noise_gen))
                self.train_seconds += time.perf_counter() - tick
                seen += len(indices)
                done = self.step >= cfg.total_steps
                saved = None
                if checkpoint_path is not None and (done or self.step % cfg.checkpoint_every == 0):
                    saved = str(self.save(checkpoint_path))
                if done or self.step % cfg.log_every == 0:
                    yield self._event(window, seen, started, steps_per_epoch, saved)
                    window, seen, started = [], 0, time.perf_counter()
                if done:
                    return

    def _event(self, window, seen, started, steps_per_epoch, saved) -> TrainEvent:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elapsed = max(time.perf_counter() - started, 1e-9)
        parts = {k: sum(w[k] for w in window) / len(window) for k in window[-1]}
        rate = seen / elapsed
        remaining = (self.config.total_steps - self.step) * self.config.batch_size
        return TrainEvent(
            step=self.step,
            total_steps=self.config.total_steps,
            epoch=self.step / steps_per_epoch,
            loss=parts["total"],
            parts=parts,
            lr=learning_rate(self.config, self.step),
            structures_per_s=rate,
            eta_s=remaining / max(rate, 1e-9),
            checkpoint=saved,
        )

    def ema_model(self) -> Crysformer:
        """A copy of the model carrying the EMA weights (for sampling/evaluation)."""
        copy = Crysformer(self.model.config).to(self.device)
        copy.load_state_dict(
            {k: v.to(self.model.state_dict()[k].dtype) for k, v in self.ema.items()}
        )
        return copy.eval()
