"""Named datasets and splits over the shared data folder, with a fingerprinted cache.

``load_dataset("perov_5/test")`` parses the source files once, then reads a ``.npz`` from the
cache dir until a source file, the ``limit`` or the reader version changes. Every entry names
the source column that becomes ``energy`` (eV/atom) and the units of its other labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from dao_engine.datasets import readers as rd
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.cache import cache_key, load_or_build, sources_digest
from dao_engine.datasets.mattergen import read_mattergen_cache
from dao_engine.datasets.parsing import ReadReport
from dao_engine.datasets.settings import cache_dir, data_root
from dao_engine.errors import DatasetError

#: (data root, limit, processes) -> (arrays, report)
Loader = Callable[[Path, "int | None", int], tuple[CrystalArrays, ReadReport]]


@dataclass(frozen=True)
class DatasetSpec:
    """One named dataset split.

    Attributes:
        name: ``family/split``.
        description: one line for lists and the app.
        sources: files or folders, relative to the data root, whose bytes key the cache.
        loader: builds the arrays from the data root.
        energy_label: source column that fills ``CrystalArrays.energy`` (None: no energy, all NaN).
        energy_unit: unit of ``energy``.
        label_units: units of the other label columns (``{"tc": "K"}``).
        notes: caveats (missing labels, cell conventions, ...).
    """

    name: str
    description: str
    sources: tuple[str, ...]
    loader: Loader
    energy_label: str | None
    energy_unit: str = "eV/atom"
    label_units: dict[str, str] = field(default_factory=dict)
    notes: str = ""


_PEROV_LABELS = ("heat_all", "dir_gap", "ind_gap")
_PEROV_UNITS = {"heat_all": "eV/atom", "dir_gap": "eV", "ind_gap": "eV"}


def _csv(rel: str, energy: str | None, labels: tuple[str, ...], id_column: str = "material_id",
         where: Callable[[dict[str, str]], bool] | None = None) -> Loader:
    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        return rd.read_cdvae_csv(root / rel, id_column=id_column, label_columns=labels,
                                 energy_column=energy, where=where, limit=limit,
                                 processes=processes)
    return load


def _jarvis(rel: str, split: str, label_csv: str | None = None, energy: str | None = None,
            label_columns: tuple[str, ...] = ()) -> Loader:
    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        labels = None
        if label_csv is not None:
            columns = [*label_columns, *([energy] if energy else [])]
            labels = rd.read_csv_labels(root / label_csv, "material_id", columns)
        return rd.read_jarvis_json_zip(root / rel, split, labels=labels, energy_column=energy,
                                       limit=limit, processes=processes)
    return load


def _mattergen(rel: str, split: str) -> Loader:
    def load(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
        return read_mattergen_cache(root / rel, split, limit=limit)
    return load


def _supercon3d(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
    table = root / "supercon3d/df_all_data1202.csv"
    labels = {r[""]: {"tc": rd.to_float(r["tc"])} for r in rd.iter_csv_rows(table)
              if r["order"] == "order"}
    arrays, report = rd.read_cif_folder(root / "supercon3d/cif", names=list(labels),
                                        labels={k[:-4]: v for k, v in labels.items()},
                                        limit=limit, processes=processes)
    return arrays, report


def _3dsc_nondoped(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
    columns = ("tc_3dsc_icsd_table", "tc_stanev_mean")
    id_of: dict[str, str] = {}
    labels: dict[str, dict[str, float]] = {}
    for row in rd.iter_csv_rows(root / "3dsc/3DSC_MP_cif_index_with_tc.csv"):
        if row["synth_doped"] == "False":
            id_of[Path(row["cif_path"]).name] = row["mp_id"]
            labels[row["mp_id"]] = {c: rd.to_float(row[c]) for c in columns}
    return rd.read_cif_tarball(root / "3dsc/3DSC_MP_cifs.tar.xz", select=id_of.get,
                               labels=labels, limit=limit, processes=processes)


_REFERENCE = {
    "CsV3Sb5": "reference_structures/CsV3Sb5_P6mmm_Ortiz2019_expanded_P1.cif",
    "Zr4Rh2O": "reference_structures/sodnet_table3/5_Zr4Rh2O.cif",
    "Zr4Pd2O": "reference_structures/sodnet_table3/6_Zr4Pd2O.cif",
}


def _reference(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
    return rd.read_cif_files([root / p for p in _REFERENCE.values()], ids=list(_REFERENCE),
                             limit=limit, source="reference case studies")


def _specs() -> list[DatasetSpec]:
    specs: list[DatasetSpec] = []
    perov_zip = "perov_5/jarvis_leaderboard_perov5_heat_ref.json.zip"
    perov_sub = "perov_5/train_subset1024_from_perov_5_dev.csv"
    specs.append(DatasetSpec(
        "perov_5/train", "Perov-5 train, 11,356 cubic perovskites (JARVIS POSCARs)",
        (perov_zip, perov_sub), _jarvis(perov_zip, "train", perov_sub, "heat_ref", _PEROV_LABELS),
        "heat_ref", label_units=_PEROV_UNITS,
        notes="heat_ref only for the 1,024 ids of the perov_5_dev subset; NaN elsewhere"))
    specs.append(DatasetSpec(
        "perov_5/train_subset1024", "Perov-5 train rows with labels (CDVAE perov_5_dev)",
        (perov_sub,), _csv(perov_sub, "heat_ref", _PEROV_LABELS), "heat_ref",
        label_units=_PEROV_UNITS))
    for split in ("val", "test"):
        specs.append(DatasetSpec(
            f"perov_5/{split}", f"Perov-5 {split} (CDVAE CSV)", (f"perov_5/{split}.csv",),
            _csv(f"perov_5/{split}.csv", "heat_ref", _PEROV_LABELS), "heat_ref",
            label_units=_PEROV_UNITS))
    carbon_zip = "carbon_24/jarvis_leaderboard_carbon24_energy_per_atom.json.zip"
    specs.append(DatasetSpec(
        "carbon_24/train", "Carbon-24 train, 6,091 carbon structures (JARVIS POSCARs)",
        (carbon_zip,), _jarvis(carbon_zip, "train"), "energy_per_atom",
        notes="no energies for train: energy is all NaN"))
    for split in ("val", "test"):
        specs.append(DatasetSpec(
            f"carbon_24/{split}", f"Carbon-24 {split} (CDVAE CSV)", (f"carbon_24/{split}.csv",),
            _csv(f"carbon_24/{split}.csv", "energy_per_atom", ()), "energy_per_atom"))
    specs.extend(_mp_specs())
    specs.extend(_superconductor_specs())
    specs.append(DatasetSpec(
        "reference/case_studies", "DAO case studies: CsV3Sb5 (P6/mmm), Zr4Rh2O, Zr4Pd2O (Fd-3m)",
        tuple(_REFERENCE.values()), _reference, None,
        notes="Zr4Pd2O has the Rh file's fractional coordinates in a scaled cell"))
    return specs


def _mp_specs() -> list[DatasetSpec]:
    eform = "formation_energy_per_atom"
    pilot = "mp_20/train_first1000_pilot_cdvae_cif.csv.gz"
    cache = "mp_20/mattergen_cache/mp_20_test_val_arrays.tar.xz"
    specs = [DatasetSpec(
        "mp_20/train_first1000", "MP-20 train rows 0-999 (the only train rows with coordinates)",
        (pilot,), _csv(pilot, eform, ("band_gap", "e_above_hull")), eform,
        label_units={"band_gap": "eV", "e_above_hull": "eV/atom"},
        notes="the other 26,136 train rows have no atom coordinates in the shared data")]
    for split in ("val", "test"):
        specs.append(DatasetSpec(
            f"mp_20/{split}", f"MP-20 {split} (MatterGen array cache, primitive cells)", (cache,),
            _mattergen(cache, split), eform,
            label_units={"dft_band_gap": "eV", "dft_bulk_modulus": "GPa",
                         "dft_mag_density": "muB/A^3"},
            notes="cells are primitive/Niggli-reduced: ~1.3% have fewer atoms than CDVAE's"))
        rel = f"mpts_52/{split}.csv.gz"
        specs.append(DatasetSpec(
            f"mpts_52/{split}", f"MPTS-52 {split} (DiffCSP CSV)", (rel,),
            _csv(rel, eform, ("energy_above_hull", "year")), eform,
            label_units={"energy_above_hull": "eV/atom", "year": "year"}))
    return specs


def _superconductor_specs() -> list[DatasetSpec]:
    specs = [
        DatasetSpec("supercon3d/ordered", "SuperCon3D ordered entries (1,016 ICSD CIFs), Tc",
                    ("supercon3d/df_all_data1202.csv", "supercon3d/cif"), _supercon3d, None,
                    label_units={"tc": "K"}, notes="ICSD-derived: research use only, never ship"),
        DatasetSpec("3dsc_mp/nondoped", "3DSC MP structures without synthetic doping (4,266), Tc",
                    ("3dsc/3DSC_MP_cif_index_with_tc.csv", "3dsc/3DSC_MP_cifs.tar.xz"),
                    _3dsc_nondoped, None,
                    label_units={"tc_3dsc_icsd_table": "K", "tc_stanev_mean": "K"}),
    ]
    derived = "derived/3dsc_mp_nondoped_with_megnet_eform.csv.gz"
    specs.append(DatasetSpec(
        "3dsc_mp/nondoped_megnet_eform", "3DSC MP non-doped with MEGNet MP-2018 E_form (2,534)",
        (derived,), _csv(derived, "e_form_per_atom_megnet_mp2018",
                         ("tc_3dsc_icsd_table", "tc_stanev_mean"), id_column="mp_id"),
        "e_form_per_atom_megnet_mp2018",
        label_units={"tc_3dsc_icsd_table": "K", "tc_stanev_mean": "K"}))
    epc = "derived/jarvis_epc_tc_with_eform_ehull.csv.gz"
    for split in ("train", "val", "test"):
        specs.append(DatasetSpec(
            f"jarvis_epc/{split}", f"JARVIS-DFT electron-phonon Tc, {split}", (epc,),
            _csv(epc, "formation_energy_peratom_jarvis", ("Tc_K", "ehull_jarvis"),
                 id_column="jid", where=partial(_split_is, split)),
            "formation_energy_peratom_jarvis", label_units={"Tc_K": "K", "ehull_jarvis": "eV/atom"},
            notes="DFT (McMillan-Allen-Dynes) Tc, not experimental; E_form missing for 164 of 1,056"))
    return specs


def _split_is(split: str, row: dict[str, str]) -> bool:
    return row["split"] == split


_REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in _specs()}


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
    name: str, limit: int | None = None, use_cache: bool = True, processes: int = 1,
) -> tuple[CrystalArrays, ReadReport]:
    """Like :func:`load_dataset`, also returning the :class:`ReadReport` (skipped entries)."""
    spec = dataset_spec(name)
    if limit is not None and limit < 0:
        raise DatasetError(f"limit must be >= 0 or None, got {limit}")
    root = data_root()

    def build() -> tuple[CrystalArrays, ReadReport]:
        arrays, report = spec.loader(root, limit, processes)
        arrays.meta.update({
            "dataset": spec.name, "energy_label": spec.energy_label or "",
            "energy_unit": spec.energy_unit, "label_units": json.dumps(spec.label_units),
        })
        return arrays, report

    if not use_cache:
        return build()
    key = cache_key(name, limit, sources_digest(root, spec.sources))
    return load_or_build(cache_dir() / "datasets", name, limit, key, build)


def load_dataset(
    name: str, limit: int | None = None, use_cache: bool = True, processes: int = 1,
) -> CrystalArrays:
    """Load a named split as :class:`CrystalArrays` (energy in eV/atom, NaN where missing).

    ``limit`` takes only the first entries of the source (faster, cached separately);
    ``processes > 1`` parses CIFs in a process pool. Disordered and broken entries are skipped;
    see :func:`load_dataset_with_report` for the list.
    """
    return load_dataset_with_report(name, limit, use_cache, processes)[0]
