"""The general training corpus of the default model, de-duplicated per Algorithm 2 and cached.

``DEFAULT_SOURCES`` is what ``resources/models/dao-p-general-cpu.pt`` was trained on (its model
card's command); ``FULL_SOURCES`` adds every other ordered source issue 4 names. Both drop
cells above 20 atoms, then crystals duplicating the MP-20 test split or the three case-study
superconductors (same id, or same reduced formula and a StructureMatcher match).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.settings import cache_dir
from dao_engine.io.atomic import write_text_atomic

DEFAULT_SOURCES = (
    "mp_20/val",
    "mp_20/train_first1000",
    "mpts_52/val",
    "3dsc_mp/nondoped_megnet_eform",
    "jarvis_epc/train",
)
FULL_SOURCES = (
    "mp_20/val",
    "mp_20/train_first1000",
    "mpts_52/val",
    "mpts_52/test",
    "3dsc_mp/nondoped",
    "jarvis_epc/train",
    "jarvis_epc/val",
    "jarvis_epc/test",
    "supercon3d/ordered",
)
#: the long-training corpus (issue 10): the recovered MP-20 and MPTS-52 train crystals as well
GENERAL_SOURCES = (
    "mp_20/train_partial",
    "mp_20/val",
    "mpts_52/train_partial",
    "mpts_52/val",
    "3dsc_mp/nondoped_megnet_eform",
    "jarvis_epc/train",
)
EXCLUDE = ("mp_20/test", "reference/case_studies")
CORPORA = {"default": DEFAULT_SOURCES, "full": FULL_SOURCES, "general": GENERAL_SOURCES}

#: the fixed validation slice held out of every corpus that uses it (never the test split)
VALIDATION_SOURCE, VALIDATION_SIZE, VALIDATION_SEED = "mp_20/val", 200, 0


def validation_slice(size: int = VALIDATION_SIZE, seed: int = VALIDATION_SEED) -> CrystalArrays:
    """``size`` crystals of MP-20 val (≤ 20 atoms) drawn with ``default_rng(seed)``, sorted."""
    from dao_engine.datasets.registry import load_dataset

    val = load_dataset(VALIDATION_SOURCE)
    chosen = np.random.default_rng(seed).choice(len(val), size=min(size, len(val)), replace=False)
    return val.subset(np.sort(chosen))


def _load(names: Sequence[str]) -> list[CrystalArrays]:
    from dao_engine.datasets.registry import load_dataset

    return [load_dataset(n) for n in names]


def first_of_each_id(ids: np.ndarray) -> np.ndarray:
    """Ascending indices of the first entry of every distinct id (the same MP crystal is in
    several sources, e.g. MP-20 and MPTS-52 train; it is trained on once)."""
    _, first = np.unique(np.asarray(ids), return_index=True)
    return np.sort(first)


def build_corpus(
    sources: Sequence[str] = DEFAULT_SOURCES,
    exclude: Sequence[str] = EXCLUDE,
    max_atoms: int = 20,
    processes: int = 2,
    use_cache: bool = True,
    holdout: CrystalArrays | None = None,
) -> tuple[CrystalArrays, dict[str, Any]]:
    """The joined, size-filtered, de-duplicated corpus and a JSON-ready account of each step.

    ``holdout`` (e.g. :func:`validation_slice`) is removed like a test split: by id and by
    structure (Algorithm 2).
    """
    parts = _load(sources)
    tests = _load(exclude) + ([holdout] if holdout is not None else [])
    digest = hashlib.sha256(
        json.dumps([list(sources), list(exclude), max_atoms]).encode()
        + "".join(p.fingerprint() for p in parts + tests).encode()
    ).hexdigest()[:16]
    folder = cache_dir() / "datasets"
    cached, info_path = (
        folder / f"general_corpus.{digest}.npz",
        folder / f"general_corpus.{digest}.json",
    )
    if use_cache and cached.is_file() and info_path.is_file():
        return CrystalArrays.load_npz(cached), json.loads(info_path.read_text())
    joined = CrystalArrays.concatenate(parts)
    first = first_of_each_id(joined.ids)
    small = joined.subset(first[joined.num_atoms[first] <= max_atoms])
    from dao_engine.datasets.dedup import dedup_against_test

    test = CrystalArrays.concatenate(tests)
    kept, report = dedup_against_test(small, test, processes=processes)
    corpus = small.subset(kept)
    info = {
        "sources": {n: len(p) for n, p in zip(sources, parts, strict=True)},
        "exclude": {n: len(t) for n, t in zip(exclude, tests, strict=False)},
        "holdout": 0 if holdout is None else len(holdout),
        "max_atoms": max_atoms,
        "joined": len(joined),
        "repeated_ids_dropped": len(joined) - len(first),
        "after_size_filter": len(small),
        "dropped_by_id": len(report.dropped_by_id),
        "dropped_by_structure": len(report.dropped_by_structure),
        "comparisons": report.n_comparisons,
        "kept": len(corpus),
        "summary": report.summary(),
    }
    corpus.save_npz(cached)
    write_text_atomic(info_path, json.dumps(info, indent=2) + "\n")
    return corpus, info


#: corpora that hold the validation slice out (those whose models are selected on it)
HOLDS_OUT_VALIDATION = ("general",)


def named_corpus(name: str, processes: int = 2) -> tuple[CrystalArrays, dict[str, Any]]:
    """The corpus ``name`` of :data:`CORPORA` (≤ 20 atoms, de-duplicated against
    :data:`EXCLUDE`, and against the validation slice for :data:`HOLDS_OUT_VALIDATION`)."""
    if name not in CORPORA:
        from dao_engine.errors import ConfigError

        raise ConfigError(f"unknown corpus {name!r}; choose from {', '.join(sorted(CORPORA))}")
    holdout = validation_slice() if name in HOLDS_OUT_VALIDATION else None
    return build_corpus(CORPORA[name], EXCLUDE, 20, processes, holdout=holdout)
