"""The catalogue of named dataset splits over the shared data folder (see its README.md).

Every entry names the source column that becomes ``energy`` (eV/atom), the units of its other
label columns and the files whose bytes key its cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from dao_engine.datasets.loaders import (
    REFERENCE_FILES,
    Loader,
    csv_loader,
    jarvis_loader,
    mattergen_loader,
    multi_csv_loader,
    reference_loader,
    split_is,
    supercon3d_loader,
    threedsc_nondoped_loader,
)
from dao_engine.datasets.supercon import sc_s_loader


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


def all_specs() -> list[DatasetSpec]:
    """Every named split, in a readable order (families, then splits)."""
    specs: list[DatasetSpec] = []
    perov_zip = "perov_5/jarvis_leaderboard_perov5_heat_ref.json.zip"
    perov_sub = "perov_5/train_subset1024_from_perov_5_dev.csv"
    specs.append(
        DatasetSpec(
            "perov_5/train",
            "Perov-5 train, 11,356 cubic perovskites (JARVIS POSCARs)",
            (perov_zip, perov_sub),
            jarvis_loader(perov_zip, "train", perov_sub, "heat_ref", _PEROV_LABELS),
            "heat_ref",
            label_units=_PEROV_UNITS,
            notes="heat_ref only for the 1,024 ids of the perov_5_dev subset; NaN elsewhere",
        )
    )
    specs.append(
        DatasetSpec(
            "perov_5/train_subset1024",
            "Perov-5 train rows with labels (CDVAE perov_5_dev)",
            (perov_sub,),
            csv_loader(perov_sub, "heat_ref", _PEROV_LABELS),
            "heat_ref",
            label_units=_PEROV_UNITS,
        )
    )
    for split in ("val", "test"):
        specs.append(
            DatasetSpec(
                f"perov_5/{split}",
                f"Perov-5 {split} (CDVAE CSV)",
                (f"perov_5/{split}.csv",),
                csv_loader(f"perov_5/{split}.csv", "heat_ref", _PEROV_LABELS),
                "heat_ref",
                label_units=_PEROV_UNITS,
            )
        )
    carbon_zip = "carbon_24/jarvis_leaderboard_carbon24_energy_per_atom.json.zip"
    specs.append(
        DatasetSpec(
            "carbon_24/train",
            "Carbon-24 train, 6,091 carbon structures (JARVIS POSCARs)",
            (carbon_zip,),
            jarvis_loader(carbon_zip, "train"),
            "energy_per_atom",
            notes="no energies for train: energy is all NaN",
        )
    )
    for split in ("val", "test"):
        specs.append(
            DatasetSpec(
                f"carbon_24/{split}",
                f"Carbon-24 {split} (CDVAE CSV)",
                (f"carbon_24/{split}.csv",),
                csv_loader(f"carbon_24/{split}.csv", "energy_per_atom", ()),
                "energy_per_atom",
                notes="absolute DFT energies (about -154 eV/atom), not formation energies",
            )
        )
    specs.extend(_mp_specs())
    specs.extend(_superconductor_specs())
    specs.append(
        DatasetSpec(
            "reference/case_studies",
            "DAO case studies: CsV3Sb5 (P6/mmm), Zr4Rh2O, Zr4Pd2O (Fd-3m)",
            tuple(REFERENCE_FILES.values()),
            reference_loader,
            None,
            notes="Zr4Pd2O has the Rh file's fractional coordinates in a scaled cell",
        )
    )
    return specs


def _mp_specs() -> list[DatasetSpec]:
    eform = "formation_energy_per_atom"
    pilot = "mp_20/train_first1000_pilot_cdvae_cif.csv.gz"
    cache = "mp_20/mattergen_cache/mp_20_test_val_arrays.tar.xz"
    specs = [
        DatasetSpec(
            "mp_20/train_first1000",
            "MP-20 train rows 0-999 (the only train rows with coordinates)",
            (pilot,),
            csv_loader(pilot, eform, ("band_gap", "e_above_hull")),
            eform,
            label_units={"band_gap": "eV", "e_above_hull": "eV/atom"},
            notes="the other 26,136 train rows have no atom coordinates in the shared data",
        )
    ]
    specs.extend(_recovered_train_specs())
    for split in ("val", "test"):
        specs.append(
            DatasetSpec(
                f"mp_20/{split}",
                f"MP-20 {split} (MatterGen array cache, primitive cells)",
                (cache,),
                mattergen_loader(cache, split),
                eform,
                label_units={
                    "dft_band_gap": "eV",
                    "dft_bulk_modulus": "GPa",
                    "dft_mag_density": "muB/A^3",
                },
                notes="cells are primitive/Niggli-reduced: ~1.3% have fewer atoms than CDVAE's",
            )
        )
        rel = f"mpts_52/{split}.csv.gz"
        specs.append(
            DatasetSpec(
                f"mpts_52/{split}",
                f"MPTS-52 {split} (DiffCSP CSV)",
                (rel,),
                csv_loader(rel, eform, ("energy_above_hull", "year")),
                eform,
                label_units={"energy_above_hull": "eV/atom", "year": "year"},
            )
        )
    return specs


MP20_TRAIN_PARTS = (
    "mp_20/train_partial_part1of2.csv.gz",
    "mp_20/train_partial_part2of2.csv.gz",
)


def _recovered_train_specs() -> list[DatasetSpec]:
    """The MP-20 and MPTS-52 train crystals recovered with coordinates (data README, "NEW")."""
    mp20_energy = "formation_energy_per_atom_mattergen"
    mpts = "mpts_52/train_partial.csv.gz"
    return [
        DatasetSpec(
            "mp_20/train_partial",
            "MP-20 train, 21,141 of 27,136 crystals with CIFs (two CSV parts)",
            MP20_TRAIN_PARTS,
            multi_csv_loader(MP20_TRAIN_PARTS, mp20_energy, ("dft_band_gap_mattergen",)),
            mp20_energy,
            label_units={"dft_band_gap_mattergen": "eV"},
            notes="1,788 rows are MPTS-52 test crystals: de-duplicate before evaluating on it",
        ),
        DatasetSpec(
            "mpts_52/train_partial",
            "MPTS-52 train, 12,751 of 27,380 crystals with CIFs",
            (mpts,),
            csv_loader(mpts, None, ("spacegroup.number",)),
            None,
            notes="no energy labels; 1,346 rows are MP-20 test crystals: de-duplicate first",
        ),
    ]


def _superconductor_specs() -> list[DatasetSpec]:
    sc3d = ("supercon3d/df_all_data1202.csv", "supercon3d/cif")
    specs = [
        DatasetSpec(
            "supercon3d/ordered",
            "SuperCon3D ordered entries (1,016 ICSD CIFs), Tc",
            sc3d,
            supercon3d_loader(True),
            None,
            label_units={"tc": "K"},
            notes="ICSD-derived: research use only, never ship",
        ),
        DatasetSpec(
            "supercon3d/all",
            "SuperCon3D, all 1,578 rows; the 562 disordered are skipped",
            sc3d,
            supercon3d_loader(False),
            None,
            label_units={"tc": "K"},
            notes="ICSD-derived: research use only, never ship",
        ),
        DatasetSpec(
            "supercon3d/sc_s",
            "SC-s: ordered SuperCon3D in primitive cells, case studies removed, Tc > 0",
            (*sc3d, *REFERENCE_FILES.values()),
            sc_s_loader,
            None,
            label_units={"tc": "K"},
            notes="ICSD-derived: research use only, never ship",
        ),
        DatasetSpec(
            "3dsc_mp/nondoped",
            "3DSC MP structures without synthetic doping (4,266), Tc",
            ("3dsc/3DSC_MP_cif_index_with_tc.csv", "3dsc/3DSC_MP_cifs.tar.xz"),
            threedsc_nondoped_loader,
            None,
            label_units={"tc_3dsc_icsd_table": "K", "tc_stanev_mean": "K"},
        ),
    ]
    derived = "derived/3dsc_mp_nondoped_with_megnet_eform.csv.gz"
    specs.append(
        DatasetSpec(
            "3dsc_mp/nondoped_megnet_eform",
            "3DSC MP non-doped with MEGNet MP-2018 E_form (2,534)",
            (derived,),
            csv_loader(
                derived,
                "e_form_per_atom_megnet_mp2018",
                ("tc_3dsc_icsd_table", "tc_stanev_mean"),
                id_column="mp_id",
            ),
            "e_form_per_atom_megnet_mp2018",
            label_units={"tc_3dsc_icsd_table": "K", "tc_stanev_mean": "K"},
        )
    )
    epc = "derived/jarvis_epc_tc_with_eform_ehull.csv.gz"
    for split in ("train", "val", "test"):
        specs.append(
            DatasetSpec(
                f"jarvis_epc/{split}",
                f"JARVIS-DFT electron-phonon Tc, {split}",
                (epc,),
                csv_loader(
                    epc,
                    "formation_energy_peratom_jarvis",
                    ("Tc_K", "ehull_jarvis"),
                    id_column="jid",
                    where=partial(split_is, split),
                ),
                "formation_energy_peratom_jarvis",
                label_units={"Tc_K": "K", "ehull_jarvis": "eV/atom"},
                notes="DFT (McMillan-Allen-Dynes) Tc, not experimental; no E_form for 164 of 1,056",
            )
        )
    return specs
