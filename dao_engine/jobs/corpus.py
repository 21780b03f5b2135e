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
EXCLUDE = ("mp_20/test", "reference/case_studies")
CORPORA = {"default": DEFAULT_SOURCES, "full": FULL_SOURCES}


def _load(names: Sequence[str]) -> list[CrystalArrays]:
    from dao_engine.datasets.registry import load_dataset

    return [load_dataset(n) for n in names]


def build_corpus(
    sources: Sequence[str] = DEFAULT_SOURCES,
    exclude: Sequence[str] = EXCLUDE,
    max_atoms: int = 20,
    processes: int = 2,
    use_cache: bool = True,
) -> tuple[CrystalArrays, dict[str, Any]]:
    """The joined, size-filtered, de-duplicated corpus and a JSON-ready account of each step."""
    parts = _load(sources)
    tests = _load(exclude)
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
    small = joined.subset(np.flatnonzero(joined.num_atoms <= max_atoms))
    from dao_engine.datasets.dedup import dedup_against_test

    test = CrystalArrays.concatenate(tests)
    kept, report = dedup_against_test(small, test, processes=processes)
    corpus = small.subset(kept)
    info = {
        "sources": {n: len(p) for n, p in zip(sources, parts, strict=True)},
        "exclude": {n: len(t) for n, t in zip(exclude, tests, strict=True)},
        "max_atoms": max_atoms,
        "joined": len(joined),
        "after_size_filter": len(small),
        "dropped_by_id": len(report.dropped_by_id),
        "dropped_by_structure": len(report.dropped_by_structure),
        "comparisons": report.n_comparisons,
        "kept": len(corpus),
        "summary": report.summary(),
    }
    corpus.save_npz(cached)
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    return corpus, info
