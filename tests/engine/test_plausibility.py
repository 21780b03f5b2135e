"""Physical plausibility of crystals: distances against radii, volume against composition,
degenerate lattices; the calibration on real relaxed crystals; ranking of prediction candidates."""

from __future__ import annotations

import json
from importlib import resources
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from dao_engine import prediction
from dao_engine.crystal.plausibility import (
    DISTANCE_FACTOR,
    VOLUME_BAND,
    estimated_volume_per_atom,
    plausibility_problem,
)
from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import candidate_problem, is_plausible, is_valid, validity_problem
from tests.helpers.fixtures import cscl, csv3sb5, nacl, si


def nb3sn(a: float = 5.29) -> Crystal:
    """A15 Nb3Sn (Pm-3n): Sn at 2a, Nb at 6c; Nb–Nb chains 2.65 Å apart."""
    frac = [
        [0, 0, 0], [0.5, 0.5, 0.5],
        [0.25, 0, 0.5], [0.75, 0, 0.5], [0.5, 0.25, 0], [0.5, 0.75, 0], [0, 0.5, 0.25],
        [0, 0.5, 0.75],
    ]  # fmt: skip
    return Crystal(np.eye(3) * a, np.array(frac), np.array([50, 50] + [41] * 6), "Nb3Sn")


@pytest.mark.parametrize("crystal", [nacl(), cscl(), si(), csv3sb5(), nb3sn()], ids=str)
def test_textbook_crystals_are_plausible(crystal):
    assert plausibility_problem(crystal) is None


def test_compressed_rock_salt_is_flagged_for_the_na_cl_distance():
    # a = 3.0 Å puts Na and Cl 1.50 Å apart; radii 1.80 + 1.00 Å, 0.6 × 2.80 = 1.68 Å
    problem = plausibility_problem(nacl(3.0))
    assert problem is not None and problem.startswith("atoms Na–Cl 1.50 Å apart")
    assert "radii sum 2.80 Å" in problem
    # just above the threshold (Na–Cl 1.70 Å, but then 0.16 × the volume) it is the volume
    assert plausibility_problem(nacl(3.4)).startswith("volume")


def test_expanded_rock_salt_is_flagged_for_its_volume():
    problem = plausibility_problem(nacl(2 * 5.64))  # 8 × the volume: 179 Å³/atom
    assert problem is not None and problem.startswith("volume 179.4 Å³/atom is 6.")
    estimate = estimated_volume_per_atom(nacl().species)
    assert 20 < estimate < 35  # Na and Cl in compounds: about 23 and 31 Å³/atom
    assert 5.64**3 / 8 / estimate > VOLUME_BAND[0] and 2 * 5.64**3 / estimate > VOLUME_BAND[1]


def test_degenerate_lattices_are_flagged_first():
    one = np.array([[0.0, 0.0, 0.0]])
    parallel = Crystal(np.array([[5.0, 0, 0], [5.0, 0.02, 0], [0, 0, 5.0]]), one, [29])
    assert plausibility_problem(parallel).startswith("degenerate lattice (nearly parallel")
    flat = Crystal(np.array([[5.0, 0, 0], [0, 5.0, 0], [2.5, 2.5, 0.0]]), one, [29])
    assert plausibility_problem(flat) == "degenerate lattice (volume 0.0 Å³)"
    short = Crystal(np.diag([0.3, 20.0, 20.0]), one, [29])
    assert plausibility_problem(short).startswith("degenerate lattice (a lattice vector is 0.30")
    exploded = Crystal(np.eye(3) * 9.0, one, [29])  # 729 Å³ for one atom
    assert plausibility_problem(exploded) == "exploded cell (729 Å³/atom)"


def test_an_atom_too_close_to_its_own_image_is_flagged():
    # bcc-like Cu with a 1.2 Å c axis: Cu–Cu 1.2 Å < 0.6 × 2 × 1.35 Å
    crystal = Crystal(np.diag([2.5, 2.5, 1.2]), np.array([[0, 0, 0]]), [29])
    assert plausibility_problem(crystal).startswith("atoms Cu–Cu 1.20 Å apart")


def test_volume_estimate_prefers_the_fitted_table_and_falls_back_to_molar_volumes():
    data = resources.files("dao_engine.data")
    fitted = data.joinpath("element_volumes.json")
    elements = json.loads(data.joinpath("element_descriptors.json").read_text())["elements"]
    descriptors = {e["Z"]: e for e in elements}
    if fitted.is_file():
        table = json.loads(fitted.read_text())["volumes"]
        assert estimated_volume_per_atom(np.array([11])) == pytest.approx(table["11"])
        missing = next(
            z for z in descriptors if str(z) not in table and descriptors[z].get("molar_volume")
        )
    else:
        missing = 11
    expected = descriptors[missing]["molar_volume"] / 0.60221  # cm³/mol → Å³/atom
    assert estimated_volume_per_atom(np.array([missing])) == pytest.approx(expected)


# ------------------------------------------------------------------ calibration on real data
@pytest.mark.data
def test_relaxed_mp_20_crystals_are_almost_never_flagged():
    from dao_engine.datasets import settings
    from dao_engine.datasets.registry import load_dataset

    if not settings.has_data_root():
        pytest.skip("../shared/data is absent; set DAO_DATA_ROOT to run the real-data tests")
    crystals = load_dataset("mp_20/val").crystals()
    problems = [plausibility_problem(c) for c in crystals]
    flagged = [p for p in problems if p]
    assert len(crystals) > 9000
    assert len(flagged) / len(crystals) < 0.005, flagged[:10]
    assert not any(p.startswith(("atoms", "degenerate", "exploded")) for p in flagged), flagged


# ------------------------------------------------------------------- ranking of candidates
def _run_result(crystals: list[Crystal], energies: list[float] | None, monkeypatch):
    lattice = torch.tensor(np.stack([c.lattice for c in crystals]))
    frac = torch.tensor(np.stack([c.frac for c in crystals]))
    species = torch.tensor(np.stack([c.species for c in crystals]))
    label = None if energies is None else "test energy"
    loaded = SimpleNamespace(path="tiny.pt")
    batch = SimpleNamespace(lattice=lattice, frac=frac, species=species)
    values = None if energies is None else np.array(energies)
    sampled = SimpleNamespace(batch=batch, energies=values)
    return prediction._result(None, loaded, label, sampled, "Na4Cl4", 0.1, [], [])


def test_flagged_candidates_rank_after_plausible_ones_whatever_their_energy(monkeypatch):
    crystals = [nacl(5.64), nacl(3.0), nacl(5.8), nacl(11.28)]  # shots 2 and 4 are implausible
    result = _run_result(crystals, [-1.0, -9.0, -1.5, -8.0], monkeypatch)
    assert [c.shot for c in result.candidates] == [3, 1, 2, 4]
    assert [c.problem is None for c in result.candidates] == [True, True, False, False]
    assert result.candidates[2].problem.startswith("atoms Na–Cl")
    result = _run_result(crystals, None, monkeypatch)  # no energy model: by shot
    assert [c.shot for c in result.candidates] == [1, 3, 2, 4]


def test_candidate_problem_is_the_plausibility_reason():
    assert candidate_problem(nacl()) is None
    assert candidate_problem(nacl(3.0)) == plausibility_problem(nacl(3.0))
    assert is_plausible(nacl()) is True and is_plausible(nacl(3.0)) is False
    assert is_valid(nacl()) is True and validity_problem(nacl()) is None
    assert DISTANCE_FACTOR == pytest.approx(0.6)
