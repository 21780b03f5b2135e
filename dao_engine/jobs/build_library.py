"""Build the shipped known-structure library from the general corpus.

    python -m dao_engine.jobs.build_library [--out resources/models/mp-known-library.npz]

Keeps the corpus's Materials Project crystals (ids ``mp-…``): the corpus is already
de-duplicated against the MP-20 test split (by id and by structure, Algorithm 2) and the
validation slice, so neither is in the library. Writes the arrays and a JSON card beside them,
and the fitted volume per atom of every element to ``dao_engine/data/element_volumes.json``
(the composition-based volume estimate of the plausibility check).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dao_engine.io.atomic import write_text_atomic
from dao_engine.known.library import ATTRIBUTION, LIBRARY_PATH, fit_element_volumes

VOLUMES_PATH = Path(__file__).resolve().parents[1] / "data" / "element_volumes.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=LIBRARY_PATH)
    parser.add_argument("--corpus", default="general")
    args = parser.parse_args(argv)
    from dao_engine.jobs.corpus import named_corpus

    started = time.perf_counter()
    corpus, info = named_corpus(args.corpus)
    keep = np.flatnonzero(np.char.startswith(corpus.ids.astype(str), "mp-"))
    library = corpus.subset(keep)
    library.meta = {"source": f"corpus '{args.corpus}', mp- ids", "license": "CC BY 4.0"}
    library.save_npz(args.out)
    card = {
        "file": args.out.name,
        "crystals": len(library),
        "atoms": int(library.num_atoms.sum()),
        "bytes": args.out.stat().st_size,
        "corpus": args.corpus,
        "corpus_sources": info["sources"],
        "excluded_from_corpus": info["exclude"],
        "validation_slice_held_out": info["holdout"],
        "dedup_dropped_by_id": info["dropped_by_id"],
        "dedup_dropped_by_structure": info["dropped_by_structure"],
        "energy": "formation energy per atom (eV/atom) as in the source; NaN where absent",
        "attribution": ATTRIBUTION,
        "command": "python -m dao_engine.jobs.build_library",
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_text_atomic(args.out.with_suffix(".json"), json.dumps(card, indent=2) + "\n")
    volumes = {str(z): round(v, 3) for z, v in sorted(fit_element_volumes(library).items())}
    source = f"least-squares fit V_cell = sum n_e v_e over the {len(library)} crystals of {args.out.name}"
    write_text_atomic(
        VOLUMES_PATH,
        json.dumps({"source": source, "unit": "A^3/atom", "volumes": volumes}, indent=1) + "\n",
    )
    print(f"{len(library)} crystals, {card['bytes'] / 1e6:.1f} MB -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
