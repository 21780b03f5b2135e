"""Write the arrays a GPU job carries: one folder per model with train.npz, test.npz, manifest.

    python -m dao_engine.jobs.prep --out gpu_data [--only perov_5,carbon_24,mp_20] [--corpus full]

``gpu_data/perov_5`` and ``gpu_data/carbon_24`` hold the standard CDVAE splits as they are (no
de-duplication: carbon_24 is all one formula, so Algorithm 2 would need ~25 M comparisons);
``gpu_data/mp_20`` holds a general corpus (:mod:`dao_engine.jobs.corpus`; ``--corpus general``
is the one ``dao train-long`` trains on, with its validation slice held out) with the MP-20 test
split. Prints each folder's size and the total, which must stay under the 64 MiB carry limit.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.errors import DaoError
from dao_engine.io.atomic import write_text_atomic
from dao_engine.jobs.corpus import CORPORA, named_corpus

#: (train sources, test split, max atoms) of each standard model folder
STANDARD = {
    "perov_5": (("perov_5/train",), "perov_5/test", 20),
    "carbon_24": (("carbon_24/train",), "carbon_24/test", 24),
}
CARRY_LIMIT_BYTES = 64 * 1024 * 1024


def _write(
    folder: Path, train: CrystalArrays, test: CrystalArrays, manifest: dict[str, Any]
) -> int:
    """Write one model folder; returns its size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, arrays in (("train", train), ("test", test)):
        arrays.meta.pop("read_report", None)
        arrays.save_npz(folder / f"{split}.npz")
        manifest[f"{split}_structures"] = len(arrays)
        manifest[f"{split}_fingerprint"] = arrays.fingerprint()
    write_text_atomic(folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def prepare(family: str, out: Path, corpus: str = "default", processes: int = 2) -> int:
    """Write ``out/<family>``; returns its size in bytes."""
    from dao_engine.datasets.registry import load_dataset

    if family == "mp_20":
        train, info = named_corpus(corpus, processes)
        test = load_dataset("mp_20/test")
        manifest: dict[str, Any] = {"family": family, "corpus": corpus}
        manifest["train_sources"] = ",".join(CORPORA[corpus])
        manifest.update(test="mp_20/test", max_atoms=20, deduplication=info["summary"])
        return _write(out / family, train, test, manifest)
    if family not in STANDARD:
        raise DaoError(f"unknown job family {family!r}; choose from perov_5, carbon_24, mp_20")
    sources, test_name, max_atoms = STANDARD[family]
    train = CrystalArrays.concatenate([load_dataset(n) for n in sources])
    train = train.subset(np.flatnonzero(train.num_atoms <= max_atoms))
    test = load_dataset(test_name)
    manifest = {"family": family, "train_sources": ",".join(sources)}
    manifest["test"] = test_name
    manifest.update(max_atoms=max_atoms, deduplication="none (standard CDVAE split)")
    return _write(out / family, train, test, manifest)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dao_engine.jobs.prep", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", default="gpu_data")
    parser.add_argument("--only", default="perov_5,carbon_24,mp_20")
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="default")
    parser.add_argument("--processes", type=int, default=2, help="de-duplication workers")
    args = parser.parse_args(argv)
    total = 0
    try:
        for family in (f.strip() for f in args.only.split(",") if f.strip()):
            size = prepare(family, Path(args.out), args.corpus, args.processes)
            total += size
            print(f"{Path(args.out) / family}: {size / 2**20:.2f} MiB", flush=True)
    except DaoError as exc:
        print(f"error: {exc}")
        return 2
    print(f"total {total / 2**20:.2f} MiB (carry limit 64 MiB)")
    return 0 if total <= CARRY_LIMIT_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
