"""Loader functions for the named datasets: each maps (data root, limit, processes) to arrays.

They know the layout of the shared data folder (file names, id and label columns, filters);
the parsing itself is in :mod:`~dao_engine.datasets.readers` and
:mod:`~dao_engine.datasets.mattergen`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dao_engine.datasets import readers as rd
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.mattergen import read_mattergen_cache
from dao_engine.datasets.parsing import ReadReport

#: (data root, limit, processes) -> (arrays, report)
Loader = Callable[[Path, "int | None", int], tuple[CrystalArrays, ReadReport]]


def csv_loader(
    rel: str,
    energy: str | None,
    labels: tuple[str, ...],
    id_column: str = "material_id",
    where: Callable[[dict[str, str]], bool] | None = None,
) -> Loader:
    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        return rd.read_cdvae_csv(
            root / rel,
            id_column=id_column,
            label_columns=labels,
            energy_column=energy,
            where=where,
            limit=limit,
            processes=processes,
        )

    return load


def multi_csv_loader(rels: tuple[str, ...], energy: str | None, labels: tuple[str, ...]) -> Loader:
    """Several CDVAE-style CSV parts of one split, read in order and joined end to end
    (``limit`` counts entries over all parts)."""

    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        parts, report = [], ReadReport(source="+".join(rels))
        for rel in rels:
            left = None if limit is None else limit - report.n_entries
            if left is not None and left <= 0:
                break
            arrays, part_report = csv_loader(rel, energy, labels)(root, left, processes)
            parts.append(arrays)
            report.extend(part_report)
        return CrystalArrays.concatenate(parts), report

    return load


def jarvis_loader(
    rel: str,
    split: str,
    label_csv: str | None = None,
    energy: str | None = None,
    label_columns: tuple[str, ...] = (),
) -> Loader:
    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        labels = None
        if label_csv is not None:
            columns = [*label_columns, *([energy] if energy else [])]
            labels = rd.read_csv_labels(root / label_csv, "material_id", columns)
        return rd.read_jarvis_json_zip(
            root / rel, split, labels=labels, energy_column=energy, limit=limit, processes=processes
        )

    return load


def mattergen_loader(rel: str, split: str) -> Loader:
    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        return read_mattergen_cache(root / rel, split, limit=limit)

    return load


def supercon3d_loader(ordered_only: bool) -> Loader:
    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        table = root / "supercon3d/df_all_data1202.csv"
        labels = {
            r[""]: {"tc": rd.to_float(r["tc"])}
            for r in rd.iter_csv_rows(table)
            if r["order"] == "order" or not ordered_only
        }
        return rd.read_cif_folder(
            root / "supercon3d/cif",
            names=list(labels),
            labels={Path(k).stem: v for k, v in labels.items()},
            limit=limit,
            processes=processes,
        )

    return load


def threedsc_nondoped_loader(
    root: Path, limit: int | None, processes: int
) -> tuple[CrystalArrays, ReadReport]:
    columns = ("tc_3dsc_icsd_table", "tc_stanev_mean")
    id_of: dict[str, str] = {}
    labels: dict[str, dict[str, float]] = {}
    for row in rd.iter_csv_rows(root / "3dsc/3DSC_MP_cif_index_with_tc.csv"):
        if row["synth_doped"] == "False":
            id_of[Path(row["cif_path"]).name] = row["mp_id"]
            labels[row["mp_id"]] = {c: rd.to_float(row[c]) for c in columns}
    return rd.read_cif_tarball(
        root / "3dsc/3DSC_MP_cifs.tar.xz",
        select=id_of.get,
        labels=labels,
        limit=limit,
        processes=processes,
    )


REFERENCE_FILES = {
    "CsV3Sb5": "reference_structures/CsV3Sb5_P6mmm_Ortiz2019_expanded_P1.cif",
    "Zr4Rh2O": "reference_structures/sodnet_table3/5_Zr4Rh2O.cif",
    "Zr4Pd2O": "reference_structures/sodnet_table3/6_Zr4Pd2O.cif",
}


def reference_loader(
    root: Path, limit: int | None, processes: int
) -> tuple[CrystalArrays, ReadReport]:
    return rd.read_cif_files(
        [root / p for p in REFERENCE_FILES.values()],
        ids=list(REFERENCE_FILES),
        limit=limit,
        source="reference case studies",
    )


def split_is(split: str, row: dict[str, str]) -> bool:
    return row["split"] == split
