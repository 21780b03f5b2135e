"""5-fold cross-validation of the T_c head on SC-s, with and without SC-ns augmentation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dao_engine.superconductors.folds import kfold_indices, train_indices
from dao_engine.superconductors.head import HeadConfig, TcHead, predict_head, train_head


@dataclass
class CrossValidation:
    """Per-fold MAE of ln(T_c/K), out-of-fold predictions and the fold heads.

    Attributes:
        fold_mae: (k,) MAE of ln T_c on each held-out fold.
        out_of_fold: (M,) ln T_c predicted for each SC-s crystal by the head that did not see it.
        heads: the k trained heads (head i never saw fold i).
        folds: the k index arrays into SC-s.
    """

    fold_mae: list[float]
    out_of_fold: np.ndarray
    heads: list[TcHead]
    folds: list[np.ndarray]

    @property
    def mean_mae(self) -> float:
        return float(np.mean(self.fold_mae))


def cross_validate(
    features: np.ndarray,
    log_tc: np.ndarray,
    config: HeadConfig,
    k: int = 5,
    seed: int = 0,
    augment_features: np.ndarray | None = None,
    augment_log_tc: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CrossValidation:
    """Train k heads; augmentation rows (generated SC-ns structures) join every training fold and
    never a validation fold. ``features`` (M, W), ``log_tc`` (M,) ln(T_c/K)."""
    folds = kfold_indices(len(log_tc), k, seed)
    out_of_fold = np.full(len(log_tc), np.nan)
    heads, maes = [], []
    for i, held_out in enumerate(folds):
        train = train_indices(folds, i)
        x, y = features[train], log_tc[train]
        if augment_features is not None and augment_log_tc is not None and len(augment_log_tc):
            x = np.concatenate([x, augment_features])
            y = np.concatenate([y, augment_log_tc])
        head = train_head(x, y, HeadConfig(**{**config.to_dict(), "seed": config.seed + i}))
        out_of_fold[held_out] = predict_head(head, features[held_out])
        maes.append(float(np.abs(out_of_fold[held_out] - log_tc[held_out]).mean()))
        heads.append(head)
        if progress is not None:
            progress(i + 1, k)
    return CrossValidation(maes, out_of_fold, heads, folds)
