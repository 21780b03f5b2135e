"""Build ``dao_engine/superconductors/tc_domain.json``: where the T_c ensemble's training
crystals lie in its feature space, so that far-away candidates are marked as extrapolation.

    python -m dao_engine.jobs.build_tc_domain [--k 32] [--seed 0]

Features: the shipped ensemble's crystal features (its DAO-P feature model) of the SC-s
training structures (SuperCon3D, cells of at most 64 atoms), standardised with the heads' mean
feature mean and std. Summary: k-means centroids (k-means++ init with ``default_rng(seed)``,
60 Lloyd steps), so no single structure is stored; distance = RMS over the standardised
dimensions to the nearest centroid; the file keeps the training distances' percentiles 0…100.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from dao_engine.io.atomic import write_text_atomic

OUT = Path(__file__).resolve().parents[1] / "superconductors" / "tc_domain.json"


def nearest_distance(z: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """(N,) RMS distance of every row of ``z`` (N, D) to its nearest centroid (K, D)."""
    return np.sqrt(((z[:, None, :] - centroids[None, :, :]) ** 2).mean(-1)).min(1)


def kmeans(z: np.ndarray, k: int, seed: int, steps: int = 60) -> np.ndarray:
    """(k, D) centroids: k-means++ seeding then ``steps`` Lloyd iterations."""
    rng = np.random.default_rng(seed)
    centroids = z[rng.choice(len(z), 1, replace=False)]
    for _ in range(k - 1):
        weight = nearest_distance(z, centroids) ** 2
        centroids = np.vstack([centroids, z[rng.choice(len(z), p=weight / weight.sum())]])
    for _ in range(steps):
        label = np.sqrt(((z[:, None, :] - centroids[None, :, :]) ** 2).mean(-1)).argmin(1)
        centroids = np.stack(
            [z[label == j].mean(0) if (label == j).any() else centroids[j] for j in range(k)]
        )
    return centroids


def main(argv: list[str] | None = None) -> int:
    from dao_engine.threads import configure_threads

    configure_threads()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from dao_engine.datasets.settings import data_root
    from dao_engine.datasets.supercon import sc_s_loader
    from dao_engine.superconductors.features import crystal_features
    from dao_engine.superconductors.service import get_tc_ensemble

    arrays, _ = sc_s_loader(data_root(), None, 1)
    crystals = [c for c in arrays.crystals() if c.num_atoms <= 64]
    ensemble = get_tc_ensemble(None, "cpu")
    features = crystal_features(ensemble.feature_model.model, crystals)
    mean = np.stack([h.feature_mean.numpy() for h in ensemble.heads]).mean(0)
    std = np.stack([h.feature_std.numpy() for h in ensemble.heads]).mean(0)
    z = (features - mean) / std
    centroids = kmeans(z, args.k, args.seed)
    label = np.sqrt(((z[:, None, :] - centroids[None, :, :]) ** 2).mean(-1)).argmin(1)
    train = nearest_distance(z, centroids)
    payload = {
        "format": "dao-tc-domain",
        "version": 1,
        "ensemble": ensemble.path.name,
        "ensemble_sha256": hashlib.sha256(ensemble.path.read_bytes()).hexdigest(),
        "feature_model": ensemble.feature_model.path.name,
        "about": (
            f"Where the T_c ensemble's training crystals lie in feature space: k-means (k={args.k}, "
            f"numpy k-means++ seed {args.seed}, 60 Lloyd steps) centroids of the standardised "
            f"crystal features of the {len(z)} SC-s training structures (SuperCon3D, cells of at "
            f"most 64 atoms; every centroid averages at least {int(np.bincount(label).min())} "
            "structures, so no single structure is recorded). distance = RMS over the standardised "
            "feature dimensions to the nearest centroid; quantiles: that distance over the "
            "training structures (0, 1, ..., 100 %). Made by python -m dao_engine.jobs.build_tc_domain."
        ),
        "training_structures": int(len(z)),
        "min_cluster_size": int(np.bincount(label, minlength=args.k).min()),
        "feature_mean": [round(float(v), 5) for v in mean],
        "feature_std": [round(float(v), 5) for v in std],
        "centroids": [[round(float(v), 4) for v in row] for row in centroids],
        "quantiles": [round(float(np.percentile(train, p)), 4) for p in range(101)],
    }
    write_text_atomic(args.out, json.dumps(payload, separators=(",", ":")))
    print(
        f"{len(z)} structures, k={args.k}: 95th percentile {payload['quantiles'][95]} -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
