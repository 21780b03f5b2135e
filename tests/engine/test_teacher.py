"""Unstable copies, CHGNet teacher labels on the formation scale, reference energies, agreement."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dao_engine.crystal.structure import Crystal
from dao_engine.datasets import CrystalArrays
from dao_engine.datasets.perturb import PERTURBED, RELAXED_TOWARD, perturbed_copies
from dao_engine.datasets.reference_energies import (
    ReferenceEnergies,
    composition_fractions,
    spearman,
)
from dao_engine.datasets.teacher import (
    SOURCE_DELTA,
    SOURCE_DFT,
    SOURCE_REFERENCE,
    chgnet_agreement,
    teacher_energies,
    teacher_labels,
)
from dao_engine.errors import ConfigError, DatasetError
from tests.helpers.fixtures import cscl, nacl, si

MADE_UP_DFT = {"NaCl": -2.1, "CsCl": -2.2, "Si": 0.0}  # eV/atom, invented for the tests


def fixture_arrays(labelled: bool = True) -> CrystalArrays:
    crystals = [
        Crystal(c.lattice, c.frac, c.species, c.label, {"energy_per_atom": MADE_UP_DFT[c.label]})
        if labelled
        else c
        for c in (nacl(), cscl(), si())
    ]
    return CrystalArrays.from_crystals(crystals)


def min_image_cartesian(frac_a: np.ndarray, frac_b: np.ndarray, lattice: np.ndarray) -> np.ndarray:
    d = frac_b - frac_a
    return (d - np.round(d)) @ lattice


# ----------------------------------------------------------------------------- perturbed copies
def test_copies_keep_composition_and_name_their_source():
    arrays = fixture_arrays()
    copies = perturbed_copies(arrays, 3, generator=np.random.default_rng(0), toward=0.5)
    assert len(copies.arrays) == 2 * 3 * len(arrays)
    for j in range(len(copies.arrays)):
        original = arrays.crystal(int(copies.source[j]))
        copy = copies.arrays.crystal(j)
        np.testing.assert_array_equal(copy.species, original.species)
        kind = "perturbed" if copies.kind[j] == PERTURBED else "toward"
        assert copy.label.startswith(f"{original.label}#{kind}")
    assert copies.arrays.ids[:3].tolist() == [
        "NaCl#perturbed0",
        "NaCl#perturbed1",
        "NaCl#perturbed2",
    ]
    assert np.isnan(copies.arrays.energy).all()
    assert (copies.arrays.frac >= 0).all() and (copies.arrays.frac < 1).all()


def test_strain_is_symmetric_bounded_and_applied_to_rows():
    arrays = fixture_arrays()
    copies = perturbed_copies(arrays, 20, generator=np.random.default_rng(1), displacement=0.0)
    eps = copies.strain
    np.testing.assert_allclose(eps, np.swapaxes(eps, 1, 2))
    assert np.abs(eps).max() <= 0.05 and np.abs(eps).max() > 0.03
    expected = arrays.lattice[copies.source].astype(np.float64) @ (np.eye(3) + eps)
    np.testing.assert_allclose(copies.arrays.lattice, expected, atol=1e-5)
    # no displacement: fractional coordinates are unchanged by a pure strain
    np.testing.assert_allclose(copies.arrays.frac, arrays.subset(copies.source).frac, atol=1e-6)


def test_displacements_have_the_requested_sigma_and_toward_copies_go_halfway():
    arrays = CrystalArrays.from_crystals([nacl()])
    copies = perturbed_copies(
        arrays, 200, generator=np.random.default_rng(2), strain=0.0, displacement=0.1, toward=0.5
    )
    originals = arrays.subset(copies.source)
    moved = min_image_cartesian(originals.frac, copies.arrays.frac, arrays.lattice[0])
    per_atom_kind = np.repeat(copies.kind, copies.arrays.num_atoms)
    assert np.std(moved[per_atom_kind == PERTURBED]) == pytest.approx(0.1, rel=0.05)
    np.testing.assert_allclose(
        moved[per_atom_kind == RELAXED_TOWARD], 0.5 * moved[per_atom_kind == PERTURBED], atol=1e-5
    )


def test_same_seed_same_copies_other_seed_other_copies():
    arrays = fixture_arrays()

    def make(seed: int) -> str:
        return perturbed_copies(
            arrays, 2, generator=np.random.default_rng(seed)
        ).arrays.fingerprint()

    assert make(7) == make(7)
    assert make(7) != make(8)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"generator": None},
        {"generator": np.random.default_rng(0), "strain": 0.7},
        {"generator": np.random.default_rng(0), "displacement": -0.1},
        {"generator": np.random.default_rng(0), "toward": 1.0},
    ],
)
def test_bad_perturbation_arguments_say_what_is_wrong(kwargs):
    with pytest.raises(ConfigError):
        perturbed_copies(fixture_arrays(), 1, **kwargs)


# ----------------------------------------------------------------------- reference energies
def synthetic_compounds(rng: np.random.Generator, count: int, elements: list[int]) -> CrystalArrays:
    crystals = []
    for i in range(count):
        n = int(rng.integers(2, 9))
        species = rng.choice(elements, size=n)
        crystals.append(Crystal(np.eye(3) * 5.0, rng.random((n, 3)), species, f"c{i}"))
    return CrystalArrays.from_crystals(crystals)


def test_reference_fit_recovers_known_mu():
    rng = np.random.default_rng(3)
    elements = [3, 8, 12, 26, 29]
    mu_true = np.array([-1.9, -4.9, -1.5, -8.3, -4.1])
    arrays = synthetic_compounds(rng, 60, elements)
    x, covered = composition_fractions(arrays, np.array(elements))
    assert covered.all()
    np.testing.assert_allclose(x.sum(axis=1), 1.0)
    formation = rng.normal(-1.0, 0.5, size=len(arrays))
    total = formation + x @ mu_true
    reference = ReferenceEnergies.fit(arrays, total, formation)
    np.testing.assert_allclose(reference.mu, mu_true, atol=1e-8)
    assert reference.rms_residual < 1e-8
    np.testing.assert_allclose(reference.formation(arrays, total), formation, atol=1e-8)
    other = synthetic_compounds(rng, 3, [3, 79])  # gold was not in the fit
    result = reference.formation(other, np.zeros(3))
    gold = [79 in other.crystal(i).species for i in range(3)]
    assert np.isnan(result[gold]).all() and np.isfinite(result[~np.array(gold)]).all()
    assert set(json.loads(reference.to_json())["mu_eV_per_atom"]) == {"Li", "O", "Mg", "Fe", "Cu"}


def test_reference_fit_without_labels_is_an_error():
    arrays = fixture_arrays(labelled=False)
    with pytest.raises(DatasetError, match="cannot be fitted"):
        ReferenceEnergies.fit(arrays, np.zeros(3), arrays.energy)


def test_spearman_closed_forms():
    a = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    assert spearman(a, a**3) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    # with ties: ranks of [1, 2, 2, 3] are [0, 1.5, 1.5, 3]
    expected = np.corrcoef([0, 1.5, 1.5, 3], [0, 1, 2, 3])[0, 1]
    assert spearman(np.array([1, 2, 2, 3]), np.arange(4)) == pytest.approx(expected)


# ------------------------------------------------------------------------- teacher labels
def fake_teacher(crystals) -> list[float]:
    """A stand-in for CHGNet: energy grows with the squared strain of the volume per atom."""
    return [-3.0 + (c.volume / c.num_atoms / 20.0 - 1.0) ** 2 for c in crystals]


def test_delta_and_reference_labels_without_chgnet():
    labelled = fixture_arrays()
    arrays = CrystalArrays.concatenate([labelled, fixture_arrays(labelled=False).subset([1])])
    copies = perturbed_copies(arrays, 2, generator=np.random.default_rng(4), toward=0.5)
    t_orig = teacher_energies(arrays, fake_teacher, chunk=2)
    t_copy = teacher_energies(copies.arrays, fake_teacher, chunk=5)
    corpus = teacher_labels(arrays, copies, t_orig, t_copy)
    m = len(arrays)
    assert len(corpus) == m + len(copies.arrays)
    np.testing.assert_allclose(corpus.energy[:3], list(MADE_UP_DFT.values()), atol=1e-6)
    reference = ReferenceEnergies.fit(labelled, t_orig[:3], labelled.energy)
    expected_unlabelled = reference.formation(arrays.subset([3]), t_orig[3:])[0]
    assert corpus.energy[3] == pytest.approx(expected_unlabelled, abs=1e-5)
    base = corpus.energy[:m].astype(np.float64)
    expected = base[copies.source] + t_copy - t_orig[copies.source]
    np.testing.assert_allclose(corpus.energy[m:], expected, atol=1e-5)
    source = corpus.labels["energy_source"]
    assert source[:4].tolist() == [SOURCE_DFT] * 3 + [SOURCE_REFERENCE]
    assert set(source[m:][copies.source == 3]) == {SOURCE_REFERENCE}
    assert set(source[m:][copies.source < 3]) == {SOURCE_DELTA}
    np.testing.assert_allclose(corpus.labels["chgnet_energy"][m:], t_copy, atol=1e-6)
    assert "mu_eV_per_atom" in corpus.meta["reference_energies"]


def test_agreement_with_a_teacher_that_is_exact_up_to_references():
    rng = np.random.default_rng(5)
    elements = [3, 8, 12]
    mu = {3: -1.9, 8: -4.9, 12: -1.5}
    crystals = [
        Crystal(c.lattice, c.frac, c.species, c.label, {"energy_per_atom": float(rng.normal())})
        for c in synthetic_compounds(rng, 40, elements).crystals()
    ]
    arrays = CrystalArrays.from_crystals(crystals)

    def exact(cs):
        return [
            c.properties["energy_per_atom"] + np.mean([mu[int(z)] for z in c.species]) for c in cs
        ]

    result = chgnet_agreement(arrays, 30, generator=np.random.default_rng(0), energy_fn=exact)
    assert result["labelled"] == 30 and result["scored"] == 30
    assert result["mae_eV_per_atom"] < 1e-5
    assert result["spearman"] == pytest.approx(1.0)


def test_cli_writes_corpus_and_report(tmp_path, monkeypatch, capsys):
    import dao_engine.datasets.registry as registry
    import dao_engine.datasets.teacher_cli as cli
    from dao_engine.datasets.teacher import main

    arrays = fixture_arrays()
    arrays.meta["energy_label"] = "formation_energy_per_atom"
    big = CrystalArrays.concatenate([arrays] * 3)
    monkeypatch.setattr(registry, "load_dataset", lambda name, limit=None: big)
    monkeypatch.setattr(
        cli,
        "teacher_energies",
        lambda a, energy_fn=None, progress=None: np.array(fake_teacher(a.crystals())),
    )
    out, report = tmp_path / "corpus.npz", tmp_path / "agreement.json"
    argv = ["--data", "fake", "--copies", "1", "--out", str(out), "--report", str(report)]
    assert main(argv) == 0
    corpus = CrystalArrays.load_npz(out)
    assert len(corpus) == 9 + 18 and np.isfinite(corpus.energy).all()
    written = json.loads(report.read_text())
    assert written["counts"]["copies"] == 18
    assert {"mae_eV_per_atom", "spearman"} <= set(written["agreement"])
    assert written["command"].endswith("--report " + str(report))


# --------------------------------------------------------------------------------- CHGNet
@pytest.fixture(scope="module")
def chgnet_energies():
    pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")
    from dao_engine.relax.chgnet_backend import chgnet_energies

    return chgnet_energies


def test_chgnet_delta_labels_equal_dft_plus_chgnet_difference(chgnet_energies):
    arrays = fixture_arrays()
    copies = perturbed_copies(arrays, 1, generator=np.random.default_rng(6), toward=0.5)
    t_orig = teacher_energies(arrays)
    t_copy = teacher_energies(copies.arrays)
    corpus = teacher_labels(arrays, copies, t_orig, t_copy)
    for j in range(len(copies.arrays)):
        original = arrays.crystal(int(copies.source[j]))
        e_orig, e_copy = chgnet_energies([original, copies.arrays.crystal(j)])
        expected = MADE_UP_DFT[original.label] + e_copy - e_orig
        assert corpus.energy[len(arrays) + j] == pytest.approx(expected, abs=1e-4)


def test_strained_nacl_gets_a_higher_teacher_energy(chgnet_energies):
    arrays = CrystalArrays.from_crystals([fixture_arrays().crystal(0)])
    copies = perturbed_copies(
        arrays, 2, generator=np.random.default_rng(7), strain=0.08, displacement=0.1, toward=0.5
    )
    t_orig = teacher_energies(arrays)
    corpus = teacher_labels(arrays, copies, t_orig, teacher_energies(copies.arrays))
    original, perturbed, toward = corpus.energy[0], corpus.energy[1:3], corpus.energy[3:5]
    assert original == pytest.approx(MADE_UP_DFT["NaCl"])
    assert (perturbed > original).all()
    assert (toward > original).all() and (toward < perturbed).all()
