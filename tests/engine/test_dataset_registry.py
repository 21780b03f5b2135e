"""The dataset registry: names, data-root errors, the fingerprinted cache, GPU export, real data."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dao_engine.datasets import (
    CrystalArrays,
    dataset_spec,
    export_gpu_arrays,
    list_datasets,
    load_dataset,
    load_dataset_with_report,
    registry,
    settings,
)
from dao_engine.datasets.export import main as export_main
from dao_engine.errors import DatasetError
from tests.helpers import dataset_files as df

_PEROV_COLUMNS = ("heat_all", "dir_gap", "ind_gap")


def _perov_rows(n: int):
    structures = [df.rocksalt("Na", "Cl", 5.6), df.rocksalt("K", "Br", 6.6), df.disordered()]
    return [
        {
            "material_id": str(100 + i),
            "cif": df.cif_text(s),
            "formula": s.formula,
            "heat_ref": -0.1 * i,
            **{c: 1.0 for c in _PEROV_COLUMNS},
        }
        for i, s in enumerate(structures[:n])
    ]


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A data root holding only perov_5/test.csv; the cache goes to tmp_path/cache."""
    root = tmp_path / "data"
    df.write_cdvae_csv(root / "perov_5" / "test.csv", _perov_rows(3))
    monkeypatch.setenv(settings.DATA_ROOT_ENV, str(root))
    monkeypatch.setenv(settings.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return root


def test_names_and_specs():
    names = list_datasets()
    for expected in (
        "perov_5/train",
        "perov_5/val",
        "perov_5/test",
        "carbon_24/test",
        "mp_20/train_first1000",
        "mp_20/val",
        "mp_20/test",
        "mpts_52/test",
        "supercon3d/ordered",
        "3dsc_mp/nondoped",
        "jarvis_epc/train",
        "reference/case_studies",
    ):
        assert expected in names
    assert dataset_spec("perov_5/test").energy_label == "heat_ref"
    assert all(dataset_spec(n).energy_unit == "eV/atom" for n in names)


def test_unknown_name_lists_valid_names():
    with pytest.raises(DatasetError, match="unknown dataset 'perov5/test'.*perov_5/test"):
        load_dataset("perov5/test")


def test_missing_data_root_says_how_to_set_it(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.DATA_ROOT_ENV, raising=False)
    monkeypatch.setattr(settings, "data_root_candidates", lambda: [tmp_path / "nope"])
    with pytest.raises(DatasetError, match="DAO_DATA_ROOT"):
        load_dataset("perov_5/test")
    monkeypatch.setenv(settings.DATA_ROOT_ENV, str(tmp_path / "also_nope"))
    with pytest.raises(DatasetError, match="is not a folder"):
        settings.data_root()


def test_cache_is_reused_then_rebuilt_when_a_source_changes(fake_root, tmp_path, monkeypatch):
    arrays, report = load_dataset_with_report("perov_5/test")
    assert list(arrays.ids) == ["100", "101"] and report.counts_by_kind() == {"disordered": 1}
    assert arrays.meta["energy_label"] == "heat_ref"
    np.testing.assert_allclose(arrays.energy, [0.0, -0.1], atol=1e-7)
    files = list((tmp_path / "cache" / "datasets").glob("perov_5__test.full.*.npz"))
    assert len(files) == 1

    def boom(*args):
        raise AssertionError("the cache should have been used")

    spec = dataset_spec("perov_5/test")
    monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, loader=boom))
    cached, cached_report = load_dataset_with_report("perov_5/test")
    assert cached.fingerprint() == arrays.fingerprint()
    assert cached_report.to_dict() == report.to_dict()
    monkeypatch.setitem(registry._REGISTRY, spec.name, spec)

    df.write_cdvae_csv(fake_root / "perov_5" / "test.csv", _perov_rows(1))
    rebuilt = load_dataset("perov_5/test")
    assert list(rebuilt.ids) == ["100"]
    new_files = list((tmp_path / "cache" / "datasets").glob("perov_5__test.full.*.npz"))
    assert len(new_files) == 1 and new_files != files  # the stale cache was replaced


def test_limit_is_cached_separately(fake_root, tmp_path):
    assert len(load_dataset("perov_5/test", limit=1)) == 1
    assert len(load_dataset("perov_5/test")) == 2
    assert len(list((tmp_path / "cache" / "datasets").glob("perov_5__test.*.npz"))) == 2
    with pytest.raises(DatasetError, match="limit"):
        load_dataset("perov_5/test", limit=-1)


def test_export_gpu_arrays(fake_root, tmp_path):
    out = tmp_path / "gpu"
    with pytest.raises(DatasetError, match="unknown dataset"):
        export_gpu_arrays(["perov_5/test", "typo"], out)
    assert not out.exists()
    (path,) = export_gpu_arrays(["perov_5/test"], out)
    assert path.name == "perov_5__test.npz"
    manifest = json.loads((out / "manifest.json").read_text())["perov_5/test"]
    loaded = CrystalArrays.load_npz(path)
    assert manifest["fingerprint"] == loaded.fingerprint() and manifest["n_crystals"] == 2
    assert manifest["energy_label"] == "heat_ref" and manifest["skipped_by_kind"] == {
        "disordered": 1
    }
    assert "read_report" not in loaded.meta
    assert export_main(["perov_5/test", "--out", str(tmp_path / "cli")]) == 0
    assert export_main(["nope/x", "--out", str(tmp_path / "cli")]) == 2


# ---------------------------------------------------------------- the real shared data
@pytest.fixture
def real_data(tmp_path, monkeypatch):
    if not settings.has_data_root():
        pytest.skip("../shared/data is absent; set DAO_DATA_ROOT to run the real-data tests")
    monkeypatch.setenv(settings.CACHE_DIR_ENV, str(tmp_path / "cache"))


@pytest.mark.data
@pytest.mark.parametrize("name", [n for n in list_datasets() if n != "reference/case_studies"])
def test_real_split_loads_with_limit(real_data, name):
    arrays, report = load_dataset_with_report(name, limit=3)
    assert 1 <= len(arrays) <= 3 and report.n_entries == 3
    assert arrays.meta["dataset"] == name
    assert np.isfinite(arrays.lattice).all() and (arrays.species > 0).all()
    assert all(abs(np.linalg.det(lat)) > 1.0 for lat in arrays.lattice)


@pytest.mark.data
def test_real_case_studies(real_data):
    arrays = load_dataset("reference/case_studies")
    assert list(arrays.ids) == ["CsV3Sb5", "Zr4Rh2O", "Zr4Pd2O"]
    assert list(arrays.num_atoms) == [9, 28, 28]
    assert arrays.crystal(1).formula(reduced=True) == "Zr4Rh2O"


@pytest.mark.data
def test_real_disordered_entries_are_skipped_and_counted(real_data):
    arrays, report = load_dataset_with_report("supercon3d/all", limit=12)
    assert report.counts_by_kind().get("disordered", 0) >= 1
    assert len(arrays) + len(report.skipped) == 12


def test_mp20_train_partial_joins_its_two_parts(tmp_path, monkeypatch):
    root = tmp_path / "data"
    structures = [df.rocksalt("Na", "Cl", 5.6), df.rocksalt("K", "Br", 6.6), df.kcl()]
    rows = [
        {
            "material_id": f"mp-{i}",
            "cif": df.cif_text(s),
            "formation_energy_per_atom_mattergen": -1.0 - i,
            "dft_band_gap_mattergen": 2.0,
        }
        for i, s in enumerate(structures)
    ]
    df.write_cdvae_csv(root / "mp_20" / "train_partial_part1of2.csv.gz", rows[:2], gz=True)
    df.write_cdvae_csv(root / "mp_20" / "train_partial_part2of2.csv.gz", rows[2:], gz=True)
    monkeypatch.setenv(settings.DATA_ROOT_ENV, str(root))
    monkeypatch.setenv(settings.CACHE_DIR_ENV, str(tmp_path / "cache"))
    arrays, report = load_dataset_with_report("mp_20/train_partial")
    assert list(arrays.ids) == ["mp-0", "mp-1", "mp-2"] and report.n_read == 3
    np.testing.assert_allclose(arrays.energy, [-1.0, -2.0, -3.0])
    assert list(load_dataset("mp_20/train_partial", limit=2).ids) == ["mp-0", "mp-1"]
    assert "mpts_52/train_partial" in list_datasets()
    assert dataset_spec("mpts_52/train_partial").energy_label is None
