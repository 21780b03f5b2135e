"""Reproducible k-fold splits for the T_c cross-validation."""

from __future__ import annotations

import numpy as np

from dao_engine.errors import ConfigError


def kfold_indices(n: int, k: int = 5, seed: int = 0) -> list[np.ndarray]:
    """k disjoint, sorted int64 index arrays covering ``range(n)`` (sizes differ by ≤ 1).

    The permutation comes from ``numpy.random.default_rng(seed)``, so the same (n, k, seed)
    always gives the same folds.
    """
    if k < 2 or n < k:
        raise ConfigError(f"{k}-fold cross-validation needs 2 ≤ k ≤ n; got k={k}, n={n}")
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part).astype(np.int64) for part in np.array_split(order, k)]


def train_indices(folds: list[np.ndarray], held_out: int) -> np.ndarray:
    """All indices not in fold ``held_out``."""
    return np.sort(np.concatenate([f for i, f in enumerate(folds) if i != held_out]))
