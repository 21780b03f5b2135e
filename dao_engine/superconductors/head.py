"""The T_c head: a two-layer MLP on DAO-P's crystal feature, trained on ln(T_c / 1 K).

Every T_c in this package is in kelvin and every "log T_c" is the natural logarithm
ln(T_c / K) (so an MAE of 0.7 means a typical factor of e^0.7 ≈ 2.0); the reports also
give log10 (divide by ln 10 ≈ 2.303).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from dao_engine.errors import ConfigError


@dataclass(frozen=True)
class HeadConfig:
    """Hyper-parameters of one T_c head (full-batch AdamW on standardised features)."""

    hidden: int = 128
    dropout: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 1e-2
    epochs: int = 150
    batch_size: int = 256
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TcHead(nn.Module):
    """x (B, W) crystal features → ln T_c (B,); inputs are standardised inside the module."""

    feature_mean: torch.Tensor
    feature_std: torch.Tensor
    target_mean: torch.Tensor

    def __init__(self, width: int, config: HeadConfig) -> None:
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(width))
        self.register_buffer("feature_std", torch.ones(width))
        self.register_buffer("target_mean", torch.zeros(()))
        self.mlp = nn.Sequential(
            nn.Linear(width, config.hidden),
            nn.SiLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x - self.feature_mean) / self.feature_std
        return self.mlp(z).squeeze(-1) + self.target_mean


def ln_tc(tc_kelvin: np.ndarray) -> np.ndarray:
    """ln(T_c / K); T_c must be > 0."""
    tc = np.asarray(tc_kelvin, dtype=np.float64)
    if not (tc > 0).all():
        raise ConfigError("T_c must be > 0 K to take its logarithm")
    return np.log(tc)


def train_head(features: np.ndarray, log_tc: np.ndarray, config: HeadConfig) -> TcHead:
    """Fit a :class:`TcHead` on (M, W) features and (M,) ln T_c with an L1 loss (the MAE metric)."""
    x = torch.as_tensor(features, dtype=torch.float32)
    y = torch.as_tensor(log_tc, dtype=torch.float32)
    if len(x) != len(y) or len(x) < 2:
        raise ConfigError(f"need ≥ 2 labelled crystals with one feature row each, got {len(x)}")
    generator = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    head = TcHead(x.shape[1], config)
    head.feature_mean.copy_(x.mean(0))
    head.feature_std.copy_(x.std(0).clamp_min(1e-6))
    head.target_mean.copy_(y.median())
    optimiser = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, -(-len(x) // config.batch_size))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=config.epochs * steps_per_epoch
    )
    head.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), config.batch_size):
            idx = order[start : start + config.batch_size]
            loss = (head(x[idx]) - y[idx]).abs().mean()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
    return head.eval()


@torch.no_grad()
def predict_head(head: TcHead, features: np.ndarray) -> np.ndarray:
    """(M,) predicted ln T_c."""
    return head(torch.as_tensor(features, dtype=torch.float32)).numpy().astype(np.float64)
