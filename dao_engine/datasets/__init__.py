"""Training and evaluation datasets: readers, a named registry with a cache, dedup, GPU export.

Importing this package does not import pymatgen (only the CIF/POSCAR parsers and the dedup
matcher do, when called), so :class:`CrystalArrays` files can be read on a machine without it.
"""

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.dedup import DedupReport, dedup_against_test
from dao_engine.datasets.export import export_gpu_arrays
from dao_engine.datasets.parsing import ReadReport, SkippedEntry
from dao_engine.datasets.registry import (
    DatasetSpec,
    dataset_spec,
    list_datasets,
    load_dataset,
    load_dataset_with_report,
)
from dao_engine.datasets.settings import cache_dir, data_root

__all__ = [
    "CrystalArrays",
    "DatasetSpec",
    "DedupReport",
    "ReadReport",
    "SkippedEntry",
    "cache_dir",
    "data_root",
    "dataset_spec",
    "dedup_against_test",
    "export_gpu_arrays",
    "list_datasets",
    "load_dataset",
    "load_dataset_with_report",
]
