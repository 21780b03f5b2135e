"""Every CIF we write reads back, in pymatgen and in our reader, as the crystal it came from."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.io.cif import CifParser

from dao_engine.cli import main
from dao_engine.crystal.structure import Crystal
from dao_engine.io.cif import read_cif, write_cif, write_cif_checked
from dao_engine.io.cif_symmetry import _operations_problem
from dao_engine.io.convert import crystal_from_structure, structure_from_crystal
from tests.helpers.fixtures import cscl, nacl

#: Generated Na1Cl1 cells that pymatgen's CifWriter(symprec=0.1) wrote as 'Cm' with operations
#: such as '-x+391/827, -y, -z+20/413': they read back as Na2Cl4 (issue 13).
REGRESSIONS = [
    (
        [
            [-2.404406, 0.44511, 3.120867],
            [-3.88867, -0.389761, -0.751636],
            [-1.780885, -3.320235, 1.525396],
        ],
        [[0.943161, 0.263604, 0.024213], [0.437056, 0.75783, 0.522789]],
    ),
    (
        [
            [-1.595019, 3.847704, 0.484338],
            [-3.840987, 0.874702, -0.774341],
            [-1.265617, 2.399752, -3.155909],
        ],
        [[0.208148, 0.859648, 0.996518], [0.722821, 0.368335, 0.496816]],
    ),
]


def _pymatgen_read(text: str) -> Crystal:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return crystal_from_structure(CifParser.from_str(text).parse_structures(primitive=False)[0])


def assert_reads_back(original: Crystal, symprec: float = 0.1) -> None:
    """The symmetrized CIF of ``original`` reads back as the cell written and as ``original``."""
    written = write_cif_checked(original, symmetrize=True, symprec=symprec)
    matcher = StructureMatcher()
    for read in (_pymatgen_read(written.text), read_cif(written.text)[0]):
        assert Counter(read.species.tolist()) == Counter(written.crystal.species.tolist())
        assert read.formula(reduced=True) == original.formula(reduced=True)
        assert matcher.fit(structure_from_crystal(read), structure_from_crystal(original))


@pytest.mark.parametrize("lattice, frac", REGRESSIONS)
def test_generated_cells_that_read_back_as_nacl2_now_read_back_as_nacl(lattice, frac):
    crystal = Crystal(lattice, frac, [11, 17], "NaCl shot 1")
    assert_reads_back(crystal)
    assert read_cif(write_cif(crystal))[0].formula(reduced=True) == "NaCl"


def test_hundreds_of_perturbed_cells_read_back_as_themselves():
    rng = np.random.default_rng(13)
    bases = [nacl(), cscl(), *(Crystal(lat, fr, [11, 17]) for lat, fr in REGRESSIONS)]
    for i in range(160):
        base = bases[i % len(bases)]
        noise = (0.0, 0.005, 0.02, 0.05, 0.08)[i % 5]
        lattice = base.lattice * (1 + rng.normal(0, noise / 3, (3, 3)))
        frac = base.frac + rng.normal(0, noise / 4, base.frac.shape)
        assert_reads_back(Crystal(lattice, frac, base.species, f"case {i}"))


def test_an_off_lattice_translation_is_caught():
    text = write_cif(nacl(), symmetrize=True)
    bad = text.replace("'x, y, z'", "'-x, -y+22/39, -z'", 1)
    assert "22/39" in (_operations_problem(bad) or "")
    assert _operations_problem(text) is None


def test_p1_cells_keep_their_cell_and_say_why_symmetry_was_dropped():
    crowded = Crystal(
        nacl().lattice, np.vstack([nacl().frac, [[5e-4, 0, 0]]]), [*nacl().species, 11]
    )
    written = write_cif_checked(crowded)
    assert written.crystal is crowded and written.space_group == ("P1", 1)
    assert written.note and "0.003 Å" in written.note and written.note in written.text


def test_symmetrized_file_is_written_atomically(tmp_path):
    path = tmp_path / "nacl.cif"
    path.write_text("old")
    written = write_cif_checked(nacl(), path)
    assert path.read_text() == written.text
    assert [p.name for p in tmp_path.iterdir()] == ["nacl.cif"]  # no temp file left


def test_predicted_cifs_read_back_and_the_table_names_the_file_energy(tiny_dao_p, tmp_path, capsys):
    out = tmp_path / "pred"
    args = ["predict", "NaCl", "--z", "2", "--shots", "4", "--steps", "4", "--quiet"]
    args += ["--relax", "none", "--library", "0"]  # the samples as generated, one file each
    assert main([*args, "--checkpoint", str(tiny_dao_p), "--out", str(out)]) == 0
    table = capsys.readouterr().out
    assert "E DAO-P" in table and "E file" in table and "of the cell written in the file" in table
    files = sorted(out.glob("*.cif"))
    assert len(files) == 4
    for path in files:
        text = path.read_text()
        ours, theirs = read_cif(path)[0], _pymatgen_read(text)
        assert ours.formula(reduced=True) == theirs.formula(reduced=True) == "NaCl"
        assert Counter(ours.species.tolist()) == Counter(theirs.species.tolist())


SHIPPED = [("NaCl", 4), ("CsV3Sb5", 1), ("Nb3Sn", 2), ("TiO2", 2)]


@pytest.fixture(scope="module")
def shipped_samples():
    """The shipped default model's own outputs: 4 shots × 100 steps of four compositions."""
    from dao_engine import api

    out = []
    for formula, z in SHIPPED:
        request = api.PredictRequest(formula=formula, z=z, shots=4, steps=100, seed=1, device="cpu")
        out += [c.crystal for c in api.predict(request).candidates]
    return out


def test_the_shipped_models_outputs_read_back_as_written(shipped_samples):
    """Issue 13: symmetrized CIFs of what the shipped model really generates read back, in both
    readers, with the written cell's exact composition and structure (else P1, said in it)."""
    assert len(shipped_samples) == 4 * len(SHIPPED)
    matcher = StructureMatcher()
    for crystal in shipped_samples:
        written = write_cif_checked(crystal, symmetrize=True, symprec=0.1)
        assert written.crystal.formula(reduced=True) == crystal.formula(reduced=True)
        for read in (_pymatgen_read(written.text), read_cif(written.text)[0]):
            assert Counter(read.species.tolist()) == Counter(written.crystal.species.tolist())
            assert matcher.fit(structure_from_crystal(read), structure_from_crystal(crystal))
