"""Is a crystal inside the T_c ensemble's training domain? (an honesty flag, not a new model)

The T_c heads were trained on SuperCon3D superconductors only. For a crystal far from those
in DAO-P's crystal-feature space (NaCl, Si, ...) the number is an extrapolation. The shipped
ensemble comes with ``tc_domain.json`` (beside this module): k-means centroids of the training
crystals' standardised features, and the quantiles of the training crystals' own distance to
the nearest centroid. A crystal whose distance is beyond :data:`EXTRAPOLATION_QUANTILE` of the
training crystals' is marked as extrapolation. Other ensembles have no such file (None).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.superconductors.features import crystal_features

DOMAIN_FILE = Path(__file__).with_name("tc_domain.json")
#: training-distance percentile beyond which a T_c is called an extrapolation
EXTRAPOLATION_QUANTILE = 95


@dataclass(frozen=True)
class TcDomain:
    """How far one crystal is from the T_c training set.

    Attributes:
        distance: RMS standardised feature distance to the nearest training centroid.
        percentile: share (0–100) of training crystals that are closer to their centroid.
        threshold: the distance at :data:`EXTRAPOLATION_QUANTILE`.
        extrapolation: distance > threshold.
    """

    distance: float
    percentile: float
    threshold: float
    extrapolation: bool

    def text(self) -> str:
        """One line for tooltips."""
        where = (
            "far from every training superconductor: the T_c is an extrapolation"
            if self.extrapolation
            else "within the range of the training superconductors"
        )
        return (
            f"feature distance to the SuperCon3D training set {self.distance:.2f} "
            f"(farther than {self.percentile:.0f}% of the training crystals; extrapolation "
            f"beyond {self.threshold:.2f}, their {EXTRAPOLATION_QUANTILE}th percentile): {where}"
        )


@lru_cache(maxsize=2)
def _domain_for(ensemble_sha256: str) -> dict | None:
    if not DOMAIN_FILE.is_file():
        return None
    data = json.loads(DOMAIN_FILE.read_text())
    return data if data.get("ensemble_sha256") == ensemble_sha256 else None


@lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def domain_of(ensemble_path: str | Path) -> dict | None:
    """The domain description of this ensemble file, None when none was made for it."""
    path = Path(ensemble_path)
    stat = path.stat()
    return _domain_for(_sha256(str(path.resolve()), stat.st_size, stat.st_mtime))


def domain_from_features(features: np.ndarray, domain: dict) -> list[TcDomain]:
    """:class:`TcDomain` for each row of (M, W) crystal features."""
    mean = np.asarray(domain["feature_mean"], dtype=np.float64)
    std = np.asarray(domain["feature_std"], dtype=np.float64)
    centroids = np.asarray(domain["centroids"], dtype=np.float64)
    quantiles = np.asarray(domain["quantiles"], dtype=np.float64)
    z = (np.asarray(features, dtype=np.float64) - mean) / std
    distances = np.sqrt(((z[:, None, :] - centroids[None, :, :]) ** 2).mean(-1)).min(1)
    threshold = float(quantiles[EXTRAPOLATION_QUANTILE])
    out = []
    for d in distances:
        percentile = float(np.interp(d, quantiles, np.arange(len(quantiles))))
        out.append(TcDomain(float(d), percentile, threshold, bool(d > threshold)))
    return out


def tc_domain(
    crystals: Sequence[Crystal], tc_model: str | Path | None = None, device: str = "auto"
) -> list[TcDomain] | None:
    """Training-domain check of each crystal for this T_c ensemble (None: no domain data)."""
    from dao_engine.superconductors.service import get_tc_ensemble

    ensemble = get_tc_ensemble(tc_model, device)
    domain = domain_of(ensemble.path)
    if domain is None:
        return None
    if not crystals:
        return []
    features = crystal_features(ensemble.feature_model.model, list(crystals))
    return domain_from_features(features, domain)
