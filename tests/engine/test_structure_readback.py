"""POSCAR and extended-XYZ files read back, with our own reader, as the crystal written: the same
species in the same order, lattice and positions within rounding. A writer whose text would not
read back raises WriteBackError and writes nothing (these formats have no symmetry: a mismatch
is a bug)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymatgen.analysis.structure_matcher import StructureMatcher

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import DaoError, WriteBackError
from dao_engine.io import poscar, xyz
from dao_engine.io.cif import write_cif_checked
from dao_engine.io.convert import structure_from_crystal
from dao_engine.io.poscar import poscar_text, read_poscar, write_poscar
from dao_engine.io.readback import crystal_difference
from dao_engine.io.structure_files import read_structure, read_structures, write_structure
from dao_engine.io.xyz import read_xyz, write_xyz, xyz_text
from tests.helpers.fixtures import cscl, csv3sb5, nacl, si
from tests.helpers.random_crystals import random_crystal

KNOWN = [nacl(), cscl(), si(), csv3sb5()]
#: How many random crystals the round trip tries, in each of the three formats.
RANDOM_CRYSTALS = 100


def _grouped(crystal: Crystal) -> Crystal:
    """``crystal`` with its atoms grouped by element as POSCAR writes them."""
    first = {int(z): i for i, z in reversed(list(enumerate(crystal.species)))}
    order = np.argsort([first[int(z)] for z in crystal.species], kind="stable")
    return Crystal(crystal.lattice, crystal.frac[order], crystal.species[order], crystal.label)


def _assert_same(read: Crystal, meant: Crystal) -> None:
    assert read.species.tolist() == meant.species.tolist()
    assert np.abs(read.lattice - meant.lattice).max() < 1e-6
    shift = read.frac - meant.frac
    shift -= np.round(shift)
    assert np.linalg.norm(shift @ meant.lattice, axis=1).max() < 1e-5


def _assert_cif_reads_back(path, crystal: Crystal) -> None:
    written = write_cif_checked(crystal, path)
    read = read_structure(path)
    assert Counter(read.species.tolist()) == Counter(written.crystal.species.tolist())
    assert set(read.species.tolist()) == set(crystal.species.tolist())
    matcher = StructureMatcher()  # compares the reduced compositions too
    assert matcher.fit(structure_from_crystal(read), structure_from_crystal(crystal))


@pytest.mark.parametrize("crystal", KNOWN, ids=lambda c: c.label)
def test_known_crystals_read_back_in_every_format(tmp_path, crystal):
    write_poscar(crystal, tmp_path / "POSCAR")
    _assert_same(read_structure(tmp_path / "POSCAR"), _grouped(crystal))
    write_xyz(crystal, tmp_path / "c.xyz")
    _assert_same(read_structure(tmp_path / "c.xyz"), crystal)
    _assert_cif_reads_back(tmp_path / "c.cif", crystal)


def test_a_hundred_random_crystals_read_back_in_every_format(tmp_path):
    rng = np.random.default_rng(2024)
    crystals = [random_crystal(rng, label=f"random {i}") for i in range(RANDOM_CRYSTALS)]
    assert max(c.num_atoms for c in crystals) <= 20 and min(c.num_atoms for c in crystals) >= 1
    assert min(c.min_interatomic_distance() for c in crystals if c.num_atoms > 1) >= 1.0
    assert len({c.num_atoms for c in crystals}) > 10  # sizes are really spread
    for crystal in crystals:
        write_structure(crystal, tmp_path / "POSCAR")
        _assert_same(read_structure(tmp_path / "POSCAR"), _grouped(crystal))
        write_structure(crystal, tmp_path / "c.xyz")
        _assert_same(read_structure(tmp_path / "c.xyz"), crystal)
        _assert_cif_reads_back(tmp_path / "c.cif", crystal)


def test_many_frames_read_back_in_one_xyz(tmp_path):
    rng = np.random.default_rng(7)
    frames = [random_crystal(rng, label=f"frame {i}") for i in range(12)]
    write_xyz(frames, tmp_path / "traj.xyz")
    for read, meant in zip(read_structures(tmp_path / "traj.xyz"), frames, strict=True):
        _assert_same(read, meant)


def test_a_left_handed_cell_reads_back_as_written():
    mirror = Crystal(nacl().lattice * [[1], [1], [-1]], nacl().frac, nacl().species, "mirror")
    assert np.linalg.det(mirror.lattice) < 0
    _assert_same(read_poscar(poscar_text(mirror)), mirror)
    _assert_same(read_xyz(xyz_text(mirror))[0], mirror)


def test_a_poscar_writer_bug_is_caught_and_nothing_is_written(tmp_path, monkeypatch):
    target = tmp_path / "POSCAR"
    write_poscar(nacl(), target)
    before = target.read_bytes()
    original = poscar._text

    def swapped_rows(crystal, comment):  # a writer that prints two positions in swapped rows
        lines = original(crystal, comment).split("\n")
        lines[8], lines[12] = lines[12], lines[8]
        return "\n".join(lines)

    monkeypatch.setattr(poscar, "_text", swapped_rows)
    with pytest.raises(WriteBackError, match=r"reads back with atom \d+ moved by 2.82 Å"):
        write_poscar(nacl(), target)
    assert target.read_bytes() == before and list(tmp_path.iterdir()) == [target]


def test_an_xyz_writer_bug_is_caught_and_nothing_is_written(tmp_path, monkeypatch):
    target = tmp_path / "new.xyz"
    original = xyz._frame_text

    def rounded(crystal):  # a writer that prints the lattice with too few decimals
        return original(Crystal(np.round(crystal.lattice, 2), crystal.frac, crystal.species))

    monkeypatch.setattr(xyz, "_frame_text", rounded)
    skewed = Crystal(nacl().lattice + 0.0123, nacl().frac, nacl().species, "skewed")
    with pytest.raises(WriteBackError, match="lattice vectors 0.0023 Å off") as info:
        write_xyz(skewed, target)
    assert "'skewed'" in str(info.value) and "\n" not in str(info.value)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_unreadable_text_is_a_write_back_error(monkeypatch):
    monkeypatch.setattr(poscar, "_text", lambda crystal, comment: "not a poscar\n")
    with pytest.raises(WriteBackError, match="cannot be read back"):
        poscar_text(nacl())


def test_crystal_difference_names_what_differs():
    base = cscl()
    assert crystal_difference(base, base) is None
    moved_by_a_cell = Crystal(base.lattice, base.frac + [1, 0, -1], base.species)
    assert crystal_difference(moved_by_a_cell, base) is None
    swapped = Crystal(base.lattice, base.frac[::-1], base.species[::-1])
    assert crystal_difference(swapped, base) == "the atoms in another order"
    other = Crystal(base.lattice, base.frac, [55, 35])
    assert "composition CsBr instead of CsCl" in crystal_difference(other, base)
    strained = Crystal(base.lattice * 1.001, base.frac, base.species)
    assert "lattice vectors 0.00412 Å off" == crystal_difference(strained, base)
    nudged = Crystal(base.lattice, base.frac + [[0, 0, 0], [1e-4, 0, 0]], base.species)
    assert crystal_difference(nudged, base) == "atom 2 moved by 0.000412 Å"


#: Labels and property values a user or a file may bring: quotes, backslashes, every kind of
#: line break, control characters, unicode, ``key=value`` look-alikes.
_HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list('"\\=\n\r\t\x0b\x0c\x1c\x85\u2028 Lattice=pbc"T T T"')),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None, database=None)
@given(label=_HOSTILE_TEXT, note=_HOSTILE_TEXT, seed=st.integers(0, 2**32 - 1))
def test_any_label_or_property_text_still_reads_back(label, note, seed):
    crystal = random_crystal(np.random.default_rng(seed), max_atoms=6, label=label)
    crystal.properties.update({"note": note, "energy": -1.5})
    try:
        text = xyz_text(crystal)  # WriteBackError would fail the test: a writer bug
        read = read_xyz(text)[0]
        _assert_same(read, crystal)
        assert read.label == " ".join(label.splitlines())  # one line, quotes and \\ kept
        _assert_same(read_poscar(poscar_text(crystal, comment=note)), _grouped(crystal))
    except DaoError as exc:  # pragma: no cover - only a bug gets here
        pytest.fail(f"{type(exc).__name__}: {exc}")
