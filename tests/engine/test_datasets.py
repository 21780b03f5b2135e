"""Dataset readers, CrystalArrays, the registry cache and dedup, on tiny files made in tmp_path."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from dao_engine.crystal.structure import Crystal
from dao_engine.datasets import CrystalArrays, dedup_against_test
from dao_engine.datasets.mattergen import read_mattergen_cache
from dao_engine.datasets.readers import (
    read_cdvae_csv,
    read_cif_folder,
    read_cif_tarball,
    read_jarvis_json_zip,
)
from dao_engine.errors import DatasetError
from dao_engine.io.convert import crystal_from_structure
from tests.helpers import dataset_files as df


def _rows(energies=(-1.0, -2.0, -3.0)):
    structures = [df.nacl(), df.kcl(), df.disordered()]
    return [
        {
            "material_id": f"m{i}",
            "cif": df.cif_text(s),
            "formula": s.formula,
            "heat_ref": e,
            "gap": 0.5 * i,
        }
        for i, (s, e) in enumerate(zip(structures, energies, strict=True))
    ]


# ----------------------------------------------------------------------------- readers
@pytest.mark.parametrize("gz", [False, True])
def test_cdvae_csv_reads_ordered_and_counts_disordered(tmp_path, gz):
    path = df.write_cdvae_csv(tmp_path / ("set.csv.gz" if gz else "set.csv"), _rows(), gz=gz)
    arrays, report = read_cdvae_csv(path, energy_column="heat_ref")
    assert list(arrays.ids) == ["m0", "m1"]
    np.testing.assert_allclose(arrays.energy, [-1.0, -2.0])
    assert arrays.label_names == ["gap"]  # "formula" is text, the index column is dropped
    assert list(arrays.num_atoms) == [8, 8]
    assert (report.n_entries, report.n_read) == (3, 2)
    assert report.counts_by_kind() == {"disordered": 1}
    assert report.skipped[0].id == "m2" and "partial occupancy" in report.skipped[0].reason
    assert arrays.crystal(0).formula(reduced=True) in ("NaCl", "ClNa")


def test_cdvae_csv_limit_garbage_and_missing_columns(tmp_path):
    rows = _rows()
    rows[0]["cif"] = "data_broken\n_cell_length_a 1\nthis is not a CIF"
    path = df.write_cdvae_csv(tmp_path / "set.csv", rows)
    arrays, report = read_cdvae_csv(path, energy_column="heat_ref", limit=2)
    assert list(arrays.ids) == ["m1"] and report.n_entries == 2
    assert report.counts_by_kind() == {"parse_error": 1}
    with pytest.raises(DatasetError, match="lacks the columns"):
        read_cdvae_csv(path, energy_column="nope")
    with pytest.raises(DatasetError, match="does not exist"):
        read_cdvae_csv(tmp_path / "absent.csv")


def test_jarvis_json_zip_with_escaped_poscars_and_joined_labels(tmp_path):
    table = {
        "train": {"a": df.poscar_escaped(df.nacl()), "b": df.poscar_escaped(df.kcl())},
        "test": {"c": df.poscar_escaped(df.cscl_type_nacl())},
    }
    path = df.write_json_zip(tmp_path / "set.json.zip", table)
    labels = {"a": {"heat_ref": 1.5, "gap": 2.0}}
    arrays, report = read_jarvis_json_zip(path, "train", labels=labels, energy_column="heat_ref")
    assert list(arrays.ids) == ["a", "b"] and report.n_read == 2
    assert arrays.energy[0] == pytest.approx(1.5) and math.isnan(arrays.energy[1])
    assert arrays.labels["gap"][0] == pytest.approx(2.0)
    np.testing.assert_allclose(arrays.lattice[0], df.nacl().lattice.matrix, atol=1e-5)
    assert len(read_jarvis_json_zip(path, "train", limit=1)[0]) == 1
    with pytest.raises(DatasetError, match="no split 'val'"):
        read_jarvis_json_zip(path, "val")


def test_jarvis_json_zip_with_property_values_is_rejected(tmp_path):
    path = df.write_json_zip(tmp_path / "spp.json.zip", {"train": {"a": 1.0}})
    with pytest.raises(DatasetError, match="not POSCAR strings"):
        read_jarvis_json_zip(path, "train")


def test_mattergen_tar_cache(tmp_path):
    structures = [df.nacl(), df.cscl_type_nacl(), df.kcl()]
    path = df.write_mattergen_tar(
        tmp_path / "cache.tar.xz", structures, ["x", "y", "z"], [-0.1, -0.2, float("nan")]
    )
    arrays, report = read_mattergen_cache(path, "val")
    assert list(arrays.ids) == ["x", "y", "z"] and report.n_read == 3
    assert list(arrays.num_atoms) == [8, 2, 8]
    np.testing.assert_allclose(arrays.energy[:2], [-0.1, -0.2], rtol=1e-6)
    assert math.isnan(arrays.energy[2]) and "dft_band_gap" in arrays.labels
    np.testing.assert_allclose(arrays.lattice[1], structures[1].lattice.matrix, atol=1e-6)
    assert len(read_mattergen_cache(path, "val", limit=2)[0]) == 2
    with pytest.raises(DatasetError, match="no split 'train'"):
        read_mattergen_cache(path, "train")
    no_pos = df.write_mattergen_tar(
        tmp_path / "nopos.tar.xz",
        structures,
        ["x", "y", "z"],
        [0.0] * 3,
        split="train",
        with_pos=False,
    )
    with pytest.raises(DatasetError, match="no atom coordinates"):
        read_mattergen_cache(no_pos, "train")


def test_cif_tarball_and_folder(tmp_path):
    named = {
        "A-MP-mp-1.cif": df.nacl(),
        "B-MP-mp-2-synth_doped.cif": df.disordered(),
        "C-MP-mp-3.cif": df.kcl(),
    }
    tar = df.write_cif_tar(tmp_path / "cifs.tar.xz", named)
    arrays, report = read_cif_tarball(tar)
    assert list(arrays.ids) == ["A-MP-mp-1", "C-MP-mp-3"]
    assert report.counts_by_kind() == {"disordered": 1}
    pick = {"C-MP-mp-3.cif": "mp-3"}
    arrays, _ = read_cif_tarball(tar, select=pick.get, labels={"mp-3": {"tc": 4.2}})
    assert list(arrays.ids) == ["mp-3"] and arrays.labels["tc"][0] == pytest.approx(4.2)
    folder = tmp_path / "cifs"
    folder.mkdir()
    for name, structure in named.items():
        (folder / name).write_text(df.cif_text(structure))
    arrays, report = read_cif_folder(folder, names=["C-MP-mp-3.cif", "A-MP-mp-1.cif"])
    assert list(arrays.ids) == ["C-MP-mp-3", "A-MP-mp-1"] and report.n_read == 2
    with pytest.raises(DatasetError, match="missing"):
        read_cif_folder(folder, names=["nope.cif"])


# ------------------------------------------------------------------------ CrystalArrays
def _crystals() -> list[Crystal]:
    a = crystal_from_structure(df.nacl(), "nacl")
    b = crystal_from_structure(df.cscl_type_nacl(), "cscl")
    c = crystal_from_structure(df.kcl(), "kcl")
    return [
        Crystal(a.lattice, a.frac, a.species, "nacl", {"energy_per_atom": -1.0, "tc": 3.0}),
        Crystal(b.lattice, b.frac, b.species, "cscl", {"energy_per_atom": -0.5}),
        Crystal(c.lattice, c.frac, c.species, "kcl", {"tc": 7.0}),
    ]


def test_arrays_from_crystals_subset_concatenate():
    crystals = _crystals()
    arrays = CrystalArrays.from_crystals(crystals)
    assert len(arrays) == 3 and arrays.frac.dtype == np.float32 and arrays.species.dtype == np.int16
    assert list(arrays.offsets) == [0, 8, 10, 18]
    back = arrays.crystal(1)
    np.testing.assert_allclose(back.frac, crystals[1].frac, atol=1e-6)
    assert back.label == "cscl" and back.properties == {"energy_per_atom": -0.5}
    assert math.isnan(arrays.energy[2]) and arrays.labels["tc"][2] == pytest.approx(7.0)
    sub = arrays.subset([2, 0])
    assert list(sub.ids) == ["kcl", "nacl"] and list(sub.species[:8]) == list(crystals[2].species)
    assert list(arrays.subset(np.array([False, True, False])).ids) == ["cscl"]
    joined = CrystalArrays.concatenate(
        [
            arrays.subset([0]),
            CrystalArrays.from_crystals(
                [
                    Crystal(
                        crystals[1].lattice,
                        crystals[1].frac,
                        crystals[1].species,
                        "x",
                        {"gap": 1.0},
                    )
                ]
            ),
        ]
    )
    assert sorted(joined.labels) == ["gap", "tc"] and math.isnan(joined.labels["gap"][0])
    with pytest.raises(DatasetError, match="num_atoms sums"):
        CrystalArrays(
            arrays.lattice,
            arrays.frac[:5],
            arrays.species,
            arrays.num_atoms,
            arrays.ids,
            arrays.energy,
        )


def test_arrays_wrap_float32_rounding_to_one():
    crystal = Crystal(np.eye(3) * 4.0, [[0.999999999, 0.5, 1e-12], [0.25, 0.5, 0.75]], [11, 17])
    arrays = CrystalArrays.from_crystals([crystal])
    assert (arrays.frac >= 0).all() and (arrays.frac < 1).all()


def test_npz_round_trip_and_fingerprint(tmp_path):
    arrays = CrystalArrays.from_crystals(_crystals(), meta={"dataset": "toy"})
    path = arrays.save_npz(tmp_path / "toy.npz")
    loaded = CrystalArrays.load_npz(path)
    assert loaded.fingerprint() == arrays.fingerprint() and loaded.meta == {"dataset": "toy"}
    for name in ("lattice", "frac", "species", "num_atoms", "ids", "energy"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(arrays, name))
    np.testing.assert_array_equal(loaded.labels["tc"], arrays.labels["tc"])
    with np.load(path, allow_pickle=False) as data:  # no object arrays anywhere
        assert all(data[k].dtype != object for k in data.files)
    moved = CrystalArrays.from_crystals(_crystals())
    moved.frac[0, 0] += 0.01
    assert moved.fingerprint() != arrays.fingerprint()
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a readable"):
        CrystalArrays.load_npz(tmp_path / "bad.npz")


def test_arrays_module_needs_no_pymatgen(tmp_path):
    path = CrystalArrays.from_crystals(_crystals()).save_npz(tmp_path / "toy.npz")
    code = (
        "import sys; sys.modules['pymatgen'] = None\n"
        "from dao_engine.datasets.arrays import CrystalArrays\n"
        f"a = CrystalArrays.load_npz({str(path)!r}); print(len(a), a.crystal(2).label)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "kcl"]


# --------------------------------------------------------------------------------- dedup
def _arrays(named: dict[str, object]) -> CrystalArrays:
    return CrystalArrays.from_crystals([crystal_from_structure(s, k) for k, s in named.items()])


@pytest.mark.parametrize("processes", [1, 2])
def test_dedup_drops_same_id_and_matching_structure(processes):
    test = _arrays({"t1": df.nacl(), "t2": df.kcl()})
    train = _arrays(
        {
            "strained": df.nacl(a=5.5, strain=1.03),  # same NaCl structure, slightly strained
            "polymorph": df.cscl_type_nacl(),  # same formula, CsCl type: kept
            "t2": df.nacl(),  # same id as a test crystal: dropped whatever it is
            "other": df.rocksalt("Rb", "Br", 6.9),  # formula not in test: not compared
        }
    )
    kept, report = dedup_against_test(train, test, processes=processes)
    assert list(train.ids[kept]) == ["polymorph", "other"]
    assert report.dropped_by_id == ["t2"]
    assert report.dropped_by_structure == [("strained", "t1")]
    assert report.n_comparisons == 2 and "dropped 1 by id and 1 by structure" in report.summary()
