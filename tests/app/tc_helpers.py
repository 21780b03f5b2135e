"""A tiny T_c ensemble for app tests and screenshots (five heads on a tiny DAO-P's feature)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.helpers.fixtures import cscl, nacl, si

METADATA = {"mae_log_tc": 0.8, "variant": "with_augmentation"}


def make_tiny_tc_ensemble(path: Path, dao_p: str | Path, members: int = 5) -> Path:
    """Train ``members`` heads (3 epochs, different seeds) on 8 labelled cells, save them.

    The labels (ln T_c of 0.5–12 K) are made up; the result is a real ensemble file that
    ``api.get_tc_ensemble`` reads, with the metadata of a shipped one (``METADATA``).
    """
    from dao_engine.models.loading import load_model
    from dao_engine.superconductors.ensemble import save_ensemble
    from dao_engine.superconductors.features import crystal_features
    from dao_engine.superconductors.head import HeadConfig, train_head

    crystals = [nacl(a) for a in (5.3, 5.5, 5.64, 5.9)] + [cscl(4.0), cscl(4.2), si(), si(5.6)]
    features = crystal_features(load_model(dao_p, "cpu").model, crystals)
    ln_tc = np.log(np.array([0.5, 1.2, 2.4, 3.0, 6.0, 9.0, 4.0, 12.0]))
    config = HeadConfig(epochs=3)
    heads = [
        train_head(features, ln_tc, HeadConfig(epochs=3, seed=seed)) for seed in range(members)
    ]
    return save_ensemble(path, heads, config, Path(dao_p), dict(METADATA))
