"""Write the compact ``.npz`` files a GPU job carries (arrays only, no CIF text, no pymatgen).

    python -m dao_engine.datasets.export perov_5/train perov_5/val --out gpu_data

writes ``gpu_data/perov_5__train.npz`` ... and ``gpu_data/manifest.json`` (name, count,
fingerprint, energy label and unit, file sha256). On the GPU machine, read them back with
``CrystalArrays.load_npz`` (NumPy only).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path

from dao_engine.datasets.cache import file_sha256
from dao_engine.datasets.registry import dataset_spec, load_dataset_with_report
from dao_engine.errors import DaoError
from dao_engine.io.atomic import write_text_atomic

MANIFEST = "manifest.json"


def export_file_name(name: str) -> str:
    """``perov_5/train`` -> ``perov_5__train.npz``."""
    return name.replace("/", "__") + ".npz"


def export_gpu_arrays(
    names: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    limit: int | None = None,
    use_cache: bool = True,
    processes: int = 1,
) -> list[Path]:
    """Load each named dataset and write it to ``out_dir`` as ``.npz`` plus ``manifest.json``.

    The manifest is merged with an existing one, so datasets can be exported in several calls.
    Returns the ``.npz`` paths written. Unknown names raise before anything is written.
    """
    for name in names:
        dataset_spec(name)  # fail fast on a typo
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    written = []
    for name in names:
        arrays, report = load_dataset_with_report(
            name, limit=limit, use_cache=use_cache, processes=processes
        )
        arrays.meta.pop("read_report", None)  # may list thousands of skipped ids; kept in cache
        spec = dataset_spec(name)
        path = arrays.save_npz(out / export_file_name(name))
        manifest[name] = {
            "file": path.name,
            "n_crystals": len(arrays),
            "n_atoms": int(arrays.num_atoms.sum()),
            "fingerprint": arrays.fingerprint(),
            "sha256": file_sha256(path),
            "energy_label": spec.energy_label,
            "energy_unit": spec.energy_unit,
            "label_units": spec.label_units,
            "limit": limit,
            "n_skipped": len(report.skipped),
            "skipped_by_kind": report.counts_by_kind(),
        }
        written.append(path)
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m dao_engine.datasets.export", description=__doc__.splitlines()[0]
    )
    parser.add_argument("names", nargs="*", help="dataset names, e.g. perov_5/train")
    parser.add_argument("--out", default="gpu_data", help="output folder (default: gpu_data)")
    parser.add_argument("--limit", type=int, default=None, help="first N entries of each source")
    parser.add_argument("--processes", type=int, default=1, help="CIF parsing processes")
    parser.add_argument("--no-cache", action="store_true", help="ignore the dataset cache")
    parser.add_argument("--list", action="store_true", help="list dataset names and exit")
    args = parser.parse_args(argv)
    if args.list or not args.names:
        from dao_engine.datasets.registry import list_datasets

        print("\n".join(list_datasets()))
        return 0
    try:
        paths = export_gpu_arrays(
            args.names,
            args.out,
            limit=args.limit,
            use_cache=not args.no_cache,
            processes=args.processes,
        )
    except DaoError as exc:
        print(f"error: {exc}")
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
