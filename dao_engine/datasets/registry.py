"""Look up and load named datasets, through a fingerprinted cache.

``load_dataset("perov_5/test")`` parses the source files once, then reads a ``.npz`` from the
cache dir until a source file, the ``limit`` or the reader version changes. The names and their
sources are in :mod:`~dao_engine.datasets.catalog`.
"""

from __future__ import annotations

import json

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.cache import cache_key, load_or_build, sources_digest
from dao_engine.datasets.catalog import DatasetSpec, all_specs
from dao_engine.datasets.parsing import ReadReport
from dao_engine.datasets.settings import cache_dir, data_root
from dao_engine.errors import DatasetError

__all__ = [
    "DatasetSpec",
    "dataset_spec",
    "list_datasets",
    "load_dataset",
    "load_dataset_with_report",
]


_REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in all_specs()}


def list_datasets() -> list[str]:
    """Every registered dataset name, sorted (``family/split``)."""
    return sorted(_REGISTRY)


def dataset_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``name``; unknown names raise :class:`DatasetError`."""
    spec = _REGISTRY.get(name)
    if spec is None:
        raise DatasetError(f"unknown dataset {name!r}; valid names: {', '.join(list_datasets())}")
    return spec


def load_dataset_with_report(
    name: str,
    limit: int | None = None,
    use_cache: bool = True,
    processes: int = 1,
) -> tuple[CrystalArrays, ReadReport]:
    """Like :func:`load_dataset`, also returning the :class:`ReadReport` (skipped entries)."""
    spec = dataset_spec(name)
    if limit is not None and limit < 0:
        raise DatasetError(f"limit must be >= 0 or None, got {limit}")
    root = data_root()

    def build() -> tuple[CrystalArrays, ReadReport]:
        arrays, report = spec.loader(root, limit, processes)
        arrays.meta.update(
            {
                "dataset": spec.name,
                "energy_label": spec.energy_label or "",
                "energy_unit": spec.energy_unit,
                "label_units": json.dumps(spec.label_units),
            }
        )
        return arrays, report

    if not use_cache:
        return build()
    key = cache_key(name, limit, sources_digest(root, spec.sources))
    return load_or_build(cache_dir() / "datasets", name, limit, key, build)


def load_dataset(
    name: str,
    limit: int | None = None,
    use_cache: bool = True,
    processes: int = 1,
) -> CrystalArrays:
    """Load a named split as :class:`CrystalArrays` (energy in eV/atom, NaN where missing).

    ``limit`` takes only the first entries of the source (faster, cached separately);
    ``processes > 1`` parses CIFs in a process pool. Disordered and broken entries are skipped;
    see :func:`load_dataset_with_report` for the list.
    """
    return load_dataset_with_report(name, limit, use_cache, processes)[0]
