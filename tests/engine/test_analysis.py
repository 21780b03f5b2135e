"""Lattice summary, Wyckoff site table, powder XRD and CIF provenance items, as physics."""

from __future__ import annotations

import numpy as np
import pytest

from dao_engine import api
from tests.helpers.fixtures import csv3sb5, nacl, si


def _rotated(crystal: api.Crystal, angle_deg: float = 37.0) -> api.Crystal:
    t = np.radians(angle_deg)
    rz = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    c, s = np.cos(t / 2), np.sin(t / 2)
    rx = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    return api.Crystal(crystal.lattice @ (rz @ rx).T, crystal.frac, crystal.species, crystal.label)


def test_rock_salt_sites_are_4a_and_4b_with_full_cubic_site_symmetry() -> None:
    sites = api.site_table(nacl())
    assert [(s.element, s.wyckoff, s.site_symmetry, s.count) for s in sites] == [
        ("Na", "4a", "m-3m", 4),
        ("Cl", "4b", "m-3m", 4),
    ]
    # the primitive cell has one atom per site; the multiplicity stays that of the conventional
    prim = api.site_table(api.primitive(nacl()))
    assert [(s.wyckoff, s.count) for s in prim] == [("4a", 1), ("4b", 1)]


def test_published_wyckoff_sites_of_kagome_csv3sb5_and_diamond() -> None:
    sites = [(s.element, s.wyckoff) for s in api.site_table(csv3sb5())]
    assert sites == [("Cs", "1a"), ("V", "3g"), ("Sb", "1b"), ("Sb", "4h")]
    (diamond,) = api.site_table(si())
    assert (diamond.wyckoff, diamond.site_symmetry) == ("8a", "-43m")


def test_lattice_summary_settings_of_rock_salt() -> None:
    given = api.lattice_summary(nacl())
    assert given.space_group == "Fm-3m (225)"
    assert given.a == pytest.approx(5.64) and given.alpha == pytest.approx(90.0)
    prim = api.lattice_summary(nacl(), "primitive")
    assert prim.volume == pytest.approx(given.volume / 4)
    assert prim.a == pytest.approx(5.64 / np.sqrt(2)) and prim.alpha == pytest.approx(60.0)
    assert prim.num_atoms == 2
    conventional = api.lattice_summary(api.primitive(nacl()), "conventional")
    assert conventional.volume == pytest.approx(given.volume) and conventional.num_atoms == 8
    niggli = api.lattice_summary(nacl(), "niggli")
    assert niggli.volume == pytest.approx(given.volume)
    with pytest.raises(api.SymmetryError):
        api.lattice_summary(nacl(), "rhombohedral")
    assert api.LATTICE_SETTINGS == ("as given", "conventional", "primitive", "niggli")


def test_lattice_parameters_and_sites_do_not_change_under_a_rotation() -> None:
    for crystal in (nacl(), csv3sb5()):
        turned = _rotated(crystal)
        for setting in api.LATTICE_SETTINGS:
            a, b = api.lattice_summary(crystal, setting), api.lattice_summary(turned, setting)
            for name in ("a", "b", "c", "alpha", "beta", "gamma", "volume"):
                assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-6), setting
            assert b.space_group == a.space_group
        same = [(s.wyckoff, s.site_symmetry) for s in api.site_table(crystal)]
        assert [(s.wyckoff, s.site_symmetry) for s in api.site_table(turned)] == same


def test_rock_salt_powder_pattern_with_cu_k_alpha() -> None:
    pattern = api.powder_pattern(nacl())
    two_theta, intensity = pattern
    assert intensity.max() == pytest.approx(100.0)
    assert two_theta.min() >= 10 and two_theta.max() <= 90
    position, hkl = pattern.strongest()
    assert hkl == (2, 0, 0) and position == pytest.approx(31.7, abs=0.1)
    # fcc: only all-even or all-odd hkl reflect; (111) at 27.4°, (220) at 45.4°
    peaks = dict(zip(pattern.hkl, pattern.two_theta, strict=True))
    assert peaks[(1, 1, 1)] == pytest.approx(27.4, abs=0.1)
    assert peaks[(2, 2, 0)] == pytest.approx(45.4, abs=0.1)
    assert all(len({h % 2 for h in k}) == 1 for k in pattern.hkl)
    # the pattern of a crystal does not depend on its cell or orientation
    other = api.powder_pattern(_rotated(api.primitive(nacl())))
    assert np.allclose(other.two_theta, pattern.two_theta, atol=1e-6)
    assert np.allclose(other.intensity, pattern.intensity, atol=1e-3)
    x, y = api.broadened_pattern(pattern)
    assert y.max() == pytest.approx(100.0) and abs(x[np.argmax(y)] - 31.73) < 0.05


def test_provenance_items_keep_the_cif_readable_by_pymatgen_and_ase(tmp_path) -> None:
    import ase.io
    from pymatgen.core import Structure
    from pymatgen.io.cif import CifParser

    items = {
        "model": "dao-p general.pt",
        "model_sha256": "0123abcd" * 8,
        "energy_per_atom": -3.4125,
        "seed": 42,
        "source": "Job 1 · shot 3",
    }
    text = api.add_cif_provenance(api.cif_text(nacl()), items)
    path = api.write_text_atomic(tmp_path / "NaCl.cif", text)
    assert api.read_cif_provenance(path.read_text()) == {k: str(v) for k, v in items.items()}
    assert "_dao_model_sha256   " + "0123abcd" * 8 in text
    expected = Structure(nacl().lattice, nacl().symbols, nacl().frac)
    read = CifParser(str(path)).parse_structures(primitive=False)[0]
    assert read.matches(expected) and len(read) == 8
    atoms = ase.io.read(path)
    assert len(atoms) == 8 and sorted(atoms.get_chemical_symbols()) == ["Cl"] * 4 + ["Na"] * 4
    assert np.allclose(atoms.cell.cellpar(), [5.64, 5.64, 5.64, 90, 90, 90])
    assert api.read_structure(path).formula() == "Na4Cl4"
