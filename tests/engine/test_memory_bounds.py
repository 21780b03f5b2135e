"""O(N²) paths are bounded: huge or absurd cells are refused (or called no match) quickly,
without allocating memory that grows with the square of the atom count or the cell size."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
import torch

from dao_engine.app_support import match
from dao_engine.crystal.sanity import closest_pair
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import ConfigError
from dao_engine.evaluation.matching import match_pair, matching_refusal
from dao_engine.models.crysformer import Crysformer, CrysformerConfig
from dao_engine.models.embeddings import edge_features
from tests.helpers.fixtures import nacl


def huge_cell() -> Crystal:
    """Two atoms in a cubic cell with 1e9 Å edges."""
    return Crystal(np.eye(3) * 1e9, np.array([[0.0, 0, 0], [0.5, 0.5, 0.5]]), np.array([11, 17]))


def test_matching_a_1e9_angstrom_cell_against_itself_is_a_quick_miss():
    cell = huge_cell()
    tracemalloc.start()
    started = time.perf_counter()
    engine = match_pair(cell, cell)
    app = match(cell, cell)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 2.0 and peak < 50e6
    assert not engine.matched and "not matched" in (engine.error or "")
    assert not app.matched and "Å" in app.error


@pytest.mark.parametrize(
    "lattice, atoms, message",
    [
        (np.eye(3) * 5, 501, "limited to 500 atoms"),
        (np.eye(3) * 2000, 8, "lattice vector is 2e+03 Å long"),
        (np.eye(3) * 500, 8, "Å³ per atom"),
        (np.full((3, 3), np.nan), 2, "non-finite"),
        (np.zeros((3, 3)), 2, "degenerate"),
    ],
)
def test_matching_refusals_name_the_reason(lattice, atoms, message):
    assert message in (matching_refusal(lattice, atoms) or "")


def test_ordinary_crystals_still_match():
    assert matching_refusal(nacl().lattice, nacl().num_atoms) is None
    assert match_pair(nacl(), nacl()).matched and match(nacl(), nacl()).matched


def test_distance_checks_of_a_5000_atom_cell_stay_small():
    rng = np.random.default_rng(0)
    n = 5000
    crystal = Crystal(np.eye(3) * 60.0, rng.random((n, 3)), np.full(n, 11))
    tracemalloc.start()
    started = time.perf_counter()
    distance = crystal.min_interatomic_distance()
    pair = closest_pair(crystal, 10.0)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 2.0 and peak < 100e6  # all pairs would need ~16 GB
    assert pair is not None and pair[2] == pytest.approx(distance)


def test_many_atoms_on_one_spot_are_found_without_listing_every_pair():
    n = 3000
    crystal = Crystal(np.eye(3) * 10.0, np.full((n, 3), 0.25), np.full(n, 11))
    tracemalloc.start()
    pair = closest_pair(crystal, 0.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert pair is not None and pair[2] == 0.0 and peak < 100e6


def test_brute_force_and_kd_tree_distances_agree():
    rng = np.random.default_rng(1)
    for _ in range(50):
        n = int(rng.integers(2, 30))
        lattice = np.diag(rng.uniform(3, 9, 3)) + rng.normal(0, 1.0, (3, 3))
        crystal = Crystal(lattice, rng.random((n, 3)), np.full(n, 14))
        pair = closest_pair(crystal, 1e9)
        assert pair is not None
        assert pair[2] == pytest.approx(crystal.min_interatomic_distance())


def test_edge_features_refuse_a_cell_above_the_limit():
    with pytest.raises(ConfigError, match="3000 atoms is too large"):
        edge_features(torch.eye(3)[None], torch.zeros(1, 3000, 3), 16, max_atoms=64)


def test_the_model_refuses_a_huge_cell_before_allocating():
    model = Crysformer(CrysformerConfig(num_layers=1, width=16, heads=2, max_atoms=20))
    assert model.atom_limit == 64
    n = 2000
    with pytest.raises(ConfigError, match="at most 64"):
        model(
            torch.eye(3)[None] * 30,
            torch.rand(1, n, 3),
            torch.full((1, n), 11),
            torch.ones(1, dtype=torch.long),
        )
