"""Top-1 / top-5 match rate of library candidates (known structures + substitution templates).

    python benchmarks/known_structures.py --split val   # the 200-crystal validation slice
    python benchmarks/known_structures.py --split test  # a fixed random 200 of MP-20 test

The library (resources/models/mp-known-library.npz) holds neither split (see its card). Each reference
is given as its cell's composition; candidates are matched with the CSP StructureMatcher (stol
0.5, ltol 0.3, angle_tol 10) and the strict one (ltol 0.2, stol 0.3, angle_tol 5).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STRICT = {"ltol": 0.2, "stol": 0.3, "angle_tol": 5.0}


def references(split: str, n: int, seed: int) -> list:
    """The reference crystals: the validation slice, or ``n`` of MP-20 test by default_rng(seed)."""
    from dao_engine.datasets.registry import load_dataset
    from dao_engine.jobs.corpus import validation_slice

    if split == "val":
        return validation_slice().crystals()
    test = load_dataset("mp_20/test")
    chosen = np.sort(np.random.default_rng(seed).choice(len(test), size=n, replace=False))
    return test.subset(chosen).crystals()


def strict_match(a, b) -> bool:  # type: ignore[no-untyped-def]
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from dao_engine.io.convert import structure_from_crystal

    matcher = StructureMatcher(**STRICT)
    return bool(matcher.fit(structure_from_crystal(a), structure_from_crystal(b)))


def evaluate(crystal, library, limit: int, known: bool, templates: bool) -> dict:  # type: ignore[no-untyped-def]
    from dao_engine.evaluation.matching import match_pair
    from dao_engine.known.templates import library_candidates

    started = time.perf_counter()
    found = library_candidates(library, crystal.formula(), limit, known, templates)
    seconds = time.perf_counter() - started
    standard = [match_pair(c.crystal, crystal).matched for c in found]
    strict = [bool(m) and strict_match(c.crystal, crystal) for c, m in zip(found, standard)]
    return {
        "id": crystal.label,
        "formula": crystal.formula(),
        "sources": [c.source for c in found],
        "match": standard,
        "strict": strict,
        "seconds": round(seconds, 3),
    }


def top_k(rows: list[dict], key: str, k: int) -> float:
    return round(100.0 * sum(any(r[key][:k]) for r in rows) / len(rows), 1)


def main() -> int:
    from dao_engine.threads import configure_threads

    configure_threads()
    from dao_engine.known.library import load_library
    from dao_engine.model_card import hardware_name

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    library = load_library()
    refs = references(args.split, args.n, args.seed)
    modes = {"combined": (True, True), "known": (True, False), "templates": (False, True)}
    record: dict = {"split": args.split, "n": len(refs), "limit": args.limit, "modes": {}}
    for mode, (known, templates) in modes.items():
        rows = [evaluate(c, library, args.limit, known, templates) for c in refs]
        summary = {
            f"{key}_top{k}": top_k(rows, key, k) for key in ("match", "strict") for k in (1, 5)
        }
        summary["seconds_per_composition"] = round(sum(r["seconds"] for r in rows) / len(rows), 3)
        print(mode, json.dumps(summary), flush=True)
        record["modes"][mode] = {"summary": summary, "rows": rows}
    record.update(
        hardware=hardware_name("cpu"),
        commit=subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        command="python benchmarks/known_structures.py " + " ".join(sys.argv[1:]),
        library_crystals=len(library),
    )
    out = Path(args.out or ROOT / f"benchmarks/results/known_structures_{args.split}.json")
    out.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
