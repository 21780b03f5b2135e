"""CIF, POSCAR and extended-XYZ: real, messy files, round trips and the errors users see."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import space_group
from dao_engine.errors import StructureParseError
from dao_engine.io.cif import parse_cif, read_cif, write_cif
from dao_engine.io.convert import structure_from_crystal
from dao_engine.io.poscar import poscar_text, read_poscar
from dao_engine.io.structure_files import (
    detect_format,
    read_structure,
    read_structures,
    write_structure,
)
from dao_engine.io.xyz import read_xyz, xyz_text
from tests.helpers.fixtures import cscl, nacl, si

DATA = Path(__file__).resolve().parents[1] / "data"
KNOWN = [(nacl, "Fm-3m", 225, 2), (si, "Fd-3m", 227, 1), (cscl, "Pm-3m", 221, 2)]


def triclinic() -> Crystal:
    """A low-symmetry, rotated cell with interleaved species (nothing for a writer to lean on)."""
    lattice = np.array([[4.1, 0.3, -0.2], [0.7, 5.3, 0.4], [-0.5, 1.1, 6.2]])
    frac = np.array([[0.1, 0.2, 0.3], [0.61, 0.17, 0.82], [0.35, 0.77, 0.05], [0.9, 0.45, 0.5]])
    return Crystal(lattice, frac, [8, 26, 8, 3], "LiFeO2 test", {"energy_per_atom": -4.25})


def same_crystal(a: Crystal, b: Crystal) -> bool:
    return StructureMatcher().fit(structure_from_crystal(a), structure_from_crystal(b))


def assert_same_parameters(a: Crystal, b: Crystal, tol: float = 1e-4) -> None:
    assert np.allclose(a.lattice_parameters(), b.lattice_parameters(), atol=tol)


# --- reading real CIFs ---


def test_cif_symmetry_operations_expand_the_asymmetric_unit() -> None:
    (crystal,) = read_cif(DATA / "NaCl_Fm-3m_symops.cif")
    assert crystal.num_atoms == 8 and crystal.formula() == "Na4Cl4"
    assert crystal.lattice_parameters()[:3] == pytest.approx((5.6402,) * 3)  # "5.6402(3)"
    assert crystal.min_interatomic_distance() == pytest.approx(5.6402 / 2)
    assert space_group(crystal) == ("Fm-3m", 225)
    assert crystal.label == "NaCl_Fm-3m_symops"


def test_cif_with_only_a_space_group_symbol() -> None:
    report = parse_cif(DATA / "TiO2_rutile_symbol_only.cif")  # also has a Latin-1 byte
    (crystal,) = report.crystals
    assert crystal.formula(reduced=True) == "TiO2" and crystal.num_atoms == 6
    assert space_group(crystal) == ("P4_2/mnm", 136)
    assert any("_symmetry_space_group_name_H-M" in w for w in report.warnings)


def test_cif_rounded_fractions_snap_to_special_positions() -> None:
    (crystal,) = read_cif(DATA / "CsV3Sb5_P6mmm.cif")  # Sb at 0.33333 0.66667
    assert crystal.formula() == "CsV3Sb5"
    assert space_group(crystal, symprec=1e-3) == ("P6/mmm", 191)


def test_cif_from_text() -> None:
    text = (DATA / "NaCl_Fm-3m_symops.cif").read_text()
    (crystal,) = read_cif(text)
    assert crystal.num_atoms == 8 and crystal.label == "52233-ICSD"


def test_multi_block_cif_skips_the_publication_block() -> None:
    report = parse_cif(DATA / "multi_block.cif")
    assert [c.label for c in report.crystals] == ["multi_block:CsCl", "multi_block:Si"]
    assert [c.num_atoms for c in report.crystals] == [2, 8]
    assert any("data_global" in w for w in report.warnings)
    assert read_structure(DATA / "multi_block.cif").formula() == "CsCl"
    assert len(read_structures(DATA / "multi_block.cif")) == 2


def test_partial_occupancy_is_refused() -> None:
    with pytest.raises(StructureParseError, match="partial occupancy") as info:
        read_cif(DATA / "BaSrTiO3_partial.cif")
    assert "BaSrTiO3_partial.cif" in str(info.value) and "Ba:0.5, Sr:0.5" in str(info.value)


def test_skip_mode_keeps_the_ordered_blocks() -> None:
    with pytest.raises(StructureParseError, match="partial occupancy"):
        read_cif(DATA / "mixed_ordered_disordered.cif")
    report = parse_cif(DATA / "mixed_ordered_disordered.cif", on_error="skip")
    assert [c.formula() for c in report.crystals] == ["CsCl"]
    assert any("partial occupancy" in w and "CsCl_vacancies" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("name", "key_words"),
    [
        ("garbage.cif", "not a CIF"),
        ("NaCl_truncated.cif", "truncated"),
        ("missing_cell_c.cif", "missing _cell_length_c, _cell_angle_gamma"),
        ("unknown_element.cif", "'Xx"),
    ],
)
def test_broken_cifs_raise_one_clear_error(name: str, key_words: str) -> None:
    with pytest.raises(StructureParseError) as info:
        read_cif(DATA / name)
    assert key_words in str(info.value)
    assert name in str(info.value)


def test_gzipped_cif(tmp_path: Path) -> None:
    path = tmp_path / "NaCl.cif.gz"
    path.write_bytes(gzip.compress((DATA / "NaCl_Fm-3m_symops.cif").read_bytes()))
    crystal = read_structure(path)
    assert crystal.num_atoms == 8 and crystal.label == "NaCl"


def test_binary_and_missing_files(tmp_path: Path) -> None:
    blob = tmp_path / "image.cif"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(StructureParseError, match="binary"):
        read_cif(blob)
    with pytest.raises(StructureParseError, match="no such file"):
        read_cif(tmp_path / "absent.cif")


# --- writing CIFs ---


@pytest.mark.parametrize(("make", "symbol", "number", "sites"), KNOWN)
def test_symmetrized_cif_reports_the_space_group(make, symbol, number, sites) -> None:
    text = write_cif(make())
    fields = dict(line.split(maxsplit=1) for line in text.splitlines() if line.startswith("_"))
    assert fields["_symmetry_space_group_name_H-M"] == symbol
    assert fields["_symmetry_Int_Tables_number"] == str(number)
    atom_rows = text.split("_atom_site_occupancy")[1].strip().splitlines()
    assert len(atom_rows) == sites  # only the symmetry-distinct sites are listed


@pytest.mark.parametrize(("make", "symbol", "number", "sites"), KNOWN)
def test_cif_round_trip_symmetrized(make, symbol, number, sites, tmp_path: Path) -> None:
    crystal = make()
    path = tmp_path / "out.cif"
    write_cif(crystal, path)
    (back,) = read_cif(path)
    assert_same_parameters(back, crystal)
    assert back.formula() == crystal.formula()
    assert same_crystal(back, crystal)
    assert space_group(back) == (symbol, number)


def test_cif_round_trip_p1_keeps_every_atom(tmp_path: Path) -> None:
    crystal = triclinic()
    (back,) = read_cif(write_cif(crystal, symmetrize=False))
    assert back.num_atoms == 4 and sorted(back.species) == sorted(crystal.species)
    assert_same_parameters(back, crystal)
    assert same_crystal(back, crystal)
    assert back.label == "LiFeO2_test"  # the block name; whitespace is not allowed there


def test_symmetrized_cif_of_a_primitive_cell_is_conventional() -> None:
    prim = Crystal(np.array([[0, 2.82, 2.82], [2.82, 0, 2.82], [2.82, 2.82, 0]]),
                   [[0, 0, 0], [0.5, 0.5, 0.5]], [11, 17])  # fmt: skip
    (back,) = read_cif(write_cif(prim))
    assert back.num_atoms == 8 and back.lattice_parameters()[0] == pytest.approx(5.64)


def test_cif_falls_back_to_p1_with_a_reason() -> None:
    base = nacl()
    crowded = Crystal(base.lattice, np.vstack([base.frac, [[5e-4, 0, 0]]]), [*base.species, 11])
    text = write_cif(crowded)
    assert "symmetry detection failed" in text and "'P 1'" in text
    assert read_cif(text)[0].num_atoms == 9


# --- POSCAR ---


def test_poscar_with_universal_scale() -> None:
    crystal = read_poscar(DATA / "Si_diamond.POSCAR")
    assert crystal.formula() == "Si8"
    assert crystal.lattice_parameters() == pytest.approx((5.431, 5.431, 5.431, 90, 90, 90))
    assert space_group(crystal) == ("Fd-3m", 227)


def test_poscar_cartesian_selective_dynamics_and_potcar_symbols() -> None:
    crystal = read_poscar(DATA / "CsCl_cartesian_selective.vasp")
    assert crystal.symbols == ["Cs", "Cl"]
    assert np.allclose(crystal.frac, [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert crystal.lattice_parameters()[0] == pytest.approx(4.123)


def test_poscar_negative_scale_is_the_volume() -> None:
    crystal = read_poscar(DATA / "Si_primitive_negative_scale.vasp")
    assert crystal.volume == pytest.approx(5.431**3 / 4, rel=1e-6)
    assert space_group(crystal) == ("Fd-3m", 227)


@pytest.mark.parametrize(
    ("name", "key_words"),
    [
        ("NaCl_vasp4.POSCAR", "VASP 4"),
        ("Si_truncated.POSCAR", "line 11"),
    ],
)
def test_broken_poscars(name: str, key_words: str) -> None:
    with pytest.raises(StructureParseError, match=key_words) as info:
        read_poscar(DATA / name)
    assert name in str(info.value)


def test_poscar_round_trip_regroups_species() -> None:
    crystal = triclinic()
    back = read_poscar(poscar_text(crystal))
    assert np.allclose(back.lattice, crystal.lattice, atol=1e-12)
    assert back.symbols == ["O", "O", "Fe", "Li"]  # grouped in order of first appearance
    assert same_crystal(back, crystal)


def test_contcar_is_recognised_by_name(tmp_path: Path) -> None:
    shutil.copy(DATA / "Si_diamond.POSCAR", tmp_path / "CONTCAR")
    assert read_structure(tmp_path / "CONTCAR").num_atoms == 8


# --- extended XYZ ---


def test_xyz_frames_with_extra_columns() -> None:
    first, second = read_xyz(DATA / "CsCl_frames.extxyz")
    assert np.allclose(first.frac, [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert first.properties == {"energy": -6.8123, "config_type": "bulk"}
    assert second.properties["config_type"] == "strained bulk"
    assert second.lattice_parameters()[0] == pytest.approx(4.3)
    assert first.label == "CsCl_frames:0"


@pytest.mark.parametrize(
    ("name", "key_words"),
    [("water_molecule.xyz", "Lattice"), ("slab_not_periodic.extxyz", "periodic in all three")],
)
def test_xyz_that_is_not_a_crystal(name: str, key_words: str) -> None:
    with pytest.raises(StructureParseError, match=key_words):
        read_xyz(DATA / name)


def test_xyz_truncated_frame() -> None:
    text = xyz_text(nacl()).splitlines()
    with pytest.raises(StructureParseError, match="truncated"):
        read_xyz("\n".join(text[:-2]) + "\n")


def test_xyz_round_trip_keeps_cartesian_positions_and_labels() -> None:
    crystals = [triclinic(), nacl()]
    back = read_xyz(xyz_text(crystals))
    for original, copy in zip(crystals, back, strict=True):
        assert np.allclose(copy.lattice, original.lattice, atol=1e-9)
        assert np.allclose(copy.cartesian, original.cartesian, atol=1e-8)
        assert list(copy.species) == list(original.species)
        assert copy.label == original.label
    assert back[0].properties == {"energy_per_atom": -4.25}


# --- dispatch by file name ---


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.cif", "cif"), ("B.CIF", "cif"), ("x.cif.gz", "cif"), ("POSCAR", "poscar"),
     ("CONTCAR_relaxed", "poscar"), ("si.vasp", "poscar"), ("t.xyz", "xyz"), ("t.extxyz", "xyz")],
)  # fmt: skip
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(name) == fmt


def test_unknown_extension_lists_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "structure.pdb"
    path.write_text("HETATM")
    with pytest.raises(StructureParseError, match="unsupported file type") as info:
        read_structure(path)
    assert ".cif" in str(info.value) and "POSCAR" in str(info.value) and ".xyz" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StructureParseError, match="no such file"):
        read_structure(tmp_path / "POSCAR")


@pytest.mark.parametrize("name", ["out.cif", "POSCAR", "out.vasp", "out.xyz", "out.extxyz"])
def test_write_then_read_every_format(name: str, tmp_path: Path) -> None:
    crystal = triclinic()
    path = write_structure(crystal, tmp_path / name, symmetrize=False)
    back = read_structure(path)
    assert_same_parameters(back, crystal, tol=1e-6)
    assert same_crystal(back, crystal)


def test_write_structure_explicit_and_unknown_format(tmp_path: Path) -> None:
    path = write_structure(cscl(), tmp_path / "cscl.txt", fmt="poscar")
    assert read_poscar(path).formula() == "CsCl"
    with pytest.raises(StructureParseError, match="unknown format"):
        write_structure(cscl(), tmp_path / "cscl.txt", fmt="pdb")  # type: ignore[arg-type]
