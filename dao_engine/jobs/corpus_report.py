"""Write ``docs/reports/general_corpus.md``: the default model's training corpus in numbers.

    python -m dao_engine.jobs.corpus_report [--corpus default] [--out docs/reports/general_corpus.md]

Reads the cached datasets (and the cached de-duplication, :mod:`dao_engine.jobs.corpus`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.io.atomic import write_text_atomic
from dao_engine.jobs.corpus import CORPORA, FULL_SOURCES, named_corpus

#: what issue 4 asks the general corpus to hold, and the registered names that cover it
ISSUE_SOURCES = {
    "MP-20 val": ("mp_20/val",),
    "MP-20 train, the 1,000 rows with coordinates": ("mp_20/train_first1000",),
    "MPTS-52 val": ("mpts_52/val",),
    "MPTS-52 test": ("mpts_52/test",),
    "3DSC ordered MP structures": ("3dsc_mp/nondoped", "3dsc_mp/nondoped_megnet_eform"),
    "JARVIS (EPC superconductors) train/val/test": (
        "jarvis_epc/train",
        "jarvis_epc/val",
        "jarvis_epc/test",
    ),
    "SuperCon3D ordered": ("supercon3d/ordered",),
}


def element_counts(arrays: CrystalArrays) -> dict[int, int]:
    """Atomic number → number of crystals containing it."""
    counts: dict[int, int] = {}
    for a, b in zip(arrays.offsets[:-1], arrays.offsets[1:], strict=True):
        for z in np.unique(arrays.species[a:b]).tolist():
            counts[int(z)] = counts.get(int(z), 0) + 1
    return counts


def _histogram(num_atoms: np.ndarray) -> list[str]:
    values, counts = np.unique(num_atoms, return_counts=True)
    peak = counts.max()
    lines = ["| atoms | crystals | |", "|---:|---:|:---|"]
    for n, c in zip(values.tolist(), counts.tolist(), strict=True):
        lines.append(f"| {n} | {c:,} | {'█' * max(1, round(30 * c / peak))} |")
    return lines


def _elements(counts: dict[int, int]) -> list[str]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    fmt = ", ".join
    missing = [element_symbol(z) for z in range(1, 95) if z not in counts]
    beyond = [element_symbol(z) for z in sorted(counts) if z > 94]
    return [
        f"- **{len(counts)} elements** occur (Z from {min(counts)} to {max(counts)}).",
        "- Most frequent (crystals containing the element): "
        + fmt(f"{element_symbol(z)} {c:,}" for z, c in ranked[:10]),
        "- Least frequent: " + fmt(f"{element_symbol(z)} {c:,}" for z, c in ranked[::-1][:10]),
        f"- Missing among Z ≤ 94 ({len(missing)}): " + (fmt(missing) or "none"),
        f"- Present beyond Z = 94: {fmt(beyond) or 'none'}",
    ]


def _coverage(sources: Sequence[str]) -> list[str]:
    lines = ["| asked for by issue 4 | registered dataset(s) | in this corpus |", "|---|---|---|"]
    for label, names in ISSUE_SOURCES.items():
        used = [n for n in names if n in sources]
        rest = [n for n in names if n not in sources]
        if not used:
            state = "**no**"
        elif rest:
            state = f"partly: {', '.join(used)} (not {', '.join(rest)})"
        else:
            state = "yes"
        lines.append(f"| {label} | {', '.join(names)} | {state} |")
    return lines


def _train_split_note(sources: list[str]) -> list[str]:
    if "mp_20/train_partial" in sources:
        return [
            "MP-20 train is here as recovered: **21,141 of its 27,136 crystals** (the rest have no",
            "coordinates in the shared data), so MP-20 numbers of a model trained on this corpus are",
            "close to, not one to one with, DiffCSP's (trained on all of MP-20 train).",
        ]
    return [
        "**MP-20's train coordinates are not in this corpus** (only its first 1,000 rows), so",
        "it stands in for the MP-20 train split, and every MP-20 number of a model trained on",
        "it is not comparable one to one with DiffCSP's (trained on all of MP-20 train).",
    ]


def report_text(corpus: CrystalArrays, info: dict[str, Any], name: str) -> str:
    """The Markdown report."""
    n = corpus.num_atoms
    dup_ids = len(corpus.ids) - len(set(corpus.ids.tolist()))
    src = "\n".join(f"| {k} | {v:,} |" for k, v in info["sources"].items())
    lines = [
        f"# General corpus (`{name}`)",
        "",
        f"Made by `python -m dao_engine.jobs.corpus_report --corpus {name}` from the cached "
        "datasets; `python -m dao_engine.jobs.prep` writes the same corpus to "
        "`gpu_data/mp_20/train.npz` for GPU jobs.",
        "",
        *_train_split_note(list(info["sources"])),
        "",
        "## Size",
        "",
        "| source | crystals read |",
        "|---|---:|",
        src,
        "",
        f"- joined: {info['joined']:,}; repeated ids dropped (the same material from two "
        f"sources, first copy kept): {info.get('repeated_ids_dropped', 0):,}; with ≤ "
        f"{info['max_atoms']} atoms: {info['after_size_filter']:,}",
        f"- held out (the validation slice, removed like a test split): {info.get('holdout', 0):,}",
        f"- de-duplication (Algorithm 2) against {', '.join(info['exclude'])} "
        f"({', '.join(f'{v:,}' for v in info['exclude'].values())} crystals): dropped "
        f"{info['dropped_by_id']:,} by id and {info['dropped_by_structure']:,} by structure "
        f"(same reduced formula and StructureMatcher(stol=0.1, ltol=0.3, angle_tol=10); "
        f"{info['comparisons']:,} comparisons)",
        f"- **kept: {len(corpus):,} crystals, {int(n.sum()):,} atoms**",
        f"- ids occurring more than once inside the corpus: {dup_ids:,}",
        "",
        "## Atoms per cell",
        "",
        f"Range {int(n.min())}–{int(n.max())}, mean {n.mean():.1f}, median {np.median(n):.0f}.",
        "",
        *_histogram(n),
        "",
        "## Elements",
        "",
        *_elements(element_counts(corpus)),
        "",
        "## Datasets issue 4 asks for",
        "",
        *_coverage(list(info["sources"])),
        "",
        "The missing ones are in `../shared/data` and registered; `python -m dao_engine.jobs.prep",
        f"--corpus full` builds the larger corpus with all of them ({', '.join(FULL_SOURCES)}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dao_engine.jobs.corpus_report")
    p.add_argument("--corpus", choices=sorted(CORPORA), default="default")
    p.add_argument("--out", default="docs/reports/general_corpus.md")
    p.add_argument("--processes", type=int, default=2, help="de-duplication workers (uncached)")
    args = p.parse_args(argv)
    corpus, info = named_corpus(args.corpus, args.processes)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, report_text(corpus, info, args.corpus))
    print(f"wrote {out}: {len(corpus):,} crystals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
