"""Training hyper-parameters as a frozen, validated dataclass (saved inside every checkpoint)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dao_engine.errors import ConfigError


@dataclass(frozen=True)
class TrainConfig:
    """AdamW with linear warm-up then cosine decay; gradient clipping; EMA of the weights.

    batch_size: crystals per optimiser step. total_steps: optimiser steps of the whole schedule.
    bf16 / compile: used on CUDA only ("auto" = on when CUDA is available).
    energy_weight: weight of the intermediate-energy loss (DAO-P; 0 for DAO-G).
    cycle_start: the step where the current schedule cycle (warm-up, then cosine to
    ``total_steps``) begins: 0 for the first; a new cycle starts where a finished one ended.
    """

    lr: float = 1e-3
    min_lr_ratio: float = 0.01
    weight_decay: float = 1e-5
    warmup_steps: int = 100
    total_steps: int = 10_000
    batch_size: int = 64
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    seed: int = 0
    log_every: int = 25
    checkpoint_every: int = 1000
    bf16: str = "auto"
    compile: str = "off"
    energy_weight: float = 0.0
    cycle_start: int = 0

    def __post_init__(self) -> None:
        checks = {
            "lr": self.lr > 0,
            "min_lr_ratio": 0 <= self.min_lr_ratio <= 1,
            "weight_decay": self.weight_decay >= 0,
            "warmup_steps": self.warmup_steps >= 0,
            "total_steps": self.total_steps >= 1,
            "batch_size": self.batch_size >= 1,
            "grad_clip": self.grad_clip > 0,
            "ema_decay": 0 <= self.ema_decay < 1,
            "log_every": self.log_every >= 1,
            "checkpoint_every": self.checkpoint_every >= 1,
            "bf16": self.bf16 in ("auto", "on", "off"),
            "compile": self.compile in ("auto", "on", "off"),
            "energy_weight": self.energy_weight >= 0,
            "cycle_start": 0 <= self.cycle_start < self.total_steps,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"invalid training setting(s) {bad}: {self}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(values: dict[str, Any]) -> TrainConfig:
        return TrainConfig(
            **{k: v for k, v in values.items() if k in TrainConfig.__dataclass_fields__}
        )
