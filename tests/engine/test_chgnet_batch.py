"""Batched CHGNet relaxation (issue 11, item 2: "relax all candidates, batched where CHGNet
allows"): relaxing crystals together follows each crystal's own FIRE path exactly, lowers the
energy, and a stop ends every relaxation with its state so far."""

from __future__ import annotations

import numpy as np
import pytest

from dao_engine.crystal.structure import Crystal
from tests.helpers.fixtures import nacl

pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")


def _distorted_rock_salts(n: int) -> list[Crystal]:
    """NaCl cells (a = 5.3 … 6.1 Å) with strained lattices and displaced atoms."""
    rng = np.random.default_rng(1)
    out = []
    for i in range(n):
        c = nacl(5.3 + 0.8 * i / max(n - 1, 1))
        frac = (c.frac + rng.normal(0.0, 0.03, c.frac.shape)) % 1.0
        lattice = c.lattice @ (np.eye(3) + rng.normal(0.0, 0.02, (3, 3)))
        out.append(Crystal(lattice, frac, c.species, f"distorted {i}"))
    return out


@pytest.mark.slow
def test_batched_relaxation_follows_each_crystals_own_path_and_lowers_its_energy():
    from dao_engine.relax.chgnet_backend import relax_many_with_chgnet_iter, relax_with_chgnet

    crystals = _distorted_rock_salts(3)
    together = dict(relax_many_with_chgnet_iter(crystals, fmax=0.1, steps=40))
    assert sorted(together) == [0, 1, 2]
    for i, crystal in enumerate(crystals):
        alone = relax_with_chgnet(crystal, fmax=0.1, steps=40)
        batched = together[i]
        assert len(batched.energies) == len(alone.energies)  # same number of FIRE steps
        assert batched.energies[-1] == pytest.approx(alone.energies[-1], abs=2e-4)
        assert batched.crystal.volume == pytest.approx(alone.crystal.volume, rel=1e-3)
        assert batched.energies[-1] < batched.energies[0] - 1e-3  # relaxation went downhill
        assert 5.4 < batched.crystal.volume ** (1 / 3) < 6.0  # the 8-atom cube's edge, Å


def test_a_stop_ends_every_relaxation_of_the_batch_at_its_state_so_far():
    from dao_engine.relax.chgnet_backend import relax_many_with_chgnet_iter

    crystals = _distorted_rock_salts(3)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) >= 2  # after the second batched force evaluation

    out = dict(relax_many_with_chgnet_iter(crystals, fmax=1e-6, steps=100, should_stop=stop))
    assert sorted(out) == [0, 1, 2] and len(asked) == 2
    assert all(len(r.energies) == 2 for r in out.values())  # two evaluations each, no more
