"""Relax-and-rank (issue 11, item 2): polymorph grouping, CHGNet relaxation lowering the energy,
ranking by energy with implausible cells last, cancel that keeps what is done."""

from __future__ import annotations

import numpy as np
import pytest

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import ConfigError
from dao_engine.ranking.polymorphs import group_polymorphs
from dao_engine.ranking.relax_rank import (
    RankedResult,
    RelaxProgress,
    RelaxRankSettings,
    relax_and_rank_iter,
)
from dao_engine.ranking.sources import SourcedCandidate
from tests.helpers.fixtures import nacl


def _from_pymatgen(structure, label: str) -> Crystal:  # type: ignore[no-untyped-def]
    return Crystal(
        structure.lattice.matrix, structure.frac_coords, [s.Z for s in structure.species], label
    )


def rutile() -> Crystal:
    from pymatgen.core import Lattice, Structure

    s = Structure.from_spacegroup(
        "P4_2/mnm", Lattice.tetragonal(4.594, 2.959), ["Ti", "O"], [[0, 0, 0], [0.305, 0.305, 0]]
    )
    return _from_pymatgen(s, "rutile")


def anatase() -> Crystal:
    from pymatgen.core import Lattice, Structure

    s = Structure.from_spacegroup(
        "I4_1/amd", Lattice.tetragonal(3.785, 9.514), ["Ti", "O"], [[0, 0, 0], [0, 0, 0.2081]]
    )
    return _from_pymatgen(s, "anatase")


def rock_salt_primitive(a: float = 5.64) -> Crystal:
    """The 2-atom fcc primitive cell of rock salt."""
    lattice = 0.5 * a * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    return Crystal(lattice, [[0, 0, 0], [0.5, 0.5, 0.5]], [11, 17], "NaCl primitive")


def cscl_type_nacl(a: float = 3.0) -> Crystal:
    return Crystal(np.eye(3) * a, [[0, 0, 0], [0.5, 0.5, 0.5]], [11, 17], "NaCl B2")


def test_rutile_and_anatase_stay_two_polymorphs_and_rock_salt_cells_become_one():
    rng = np.random.default_rng(0)
    shaken = nacl(5.64)
    shaken = Crystal(
        shaken.lattice, shaken.frac + rng.normal(0, 0.005, shaken.frac.shape), shaken.species
    )
    labels = group_polymorphs([rutile(), anatase(), rutile()])
    assert labels == [0, 1, 0]
    assert group_polymorphs([nacl(5.64), shaken, rock_salt_primitive(5.7)]) == [0, 0, 0]


def test_settings_refuse_unknown_backends_and_bad_limits():
    with pytest.raises(ConfigError, match="unknown relaxation"):
        RelaxRankSettings(relax="vasp")
    with pytest.raises(ConfigError, match="unknown ranking"):
        RelaxRankSettings(rank="density")
    with pytest.raises(ConfigError, match="≥ 1 step"):
        RelaxRankSettings(chgnet_steps=0)


def _candidates() -> list[SourcedCandidate]:
    return [
        SourcedCandidate(cscl_type_nacl(3.0), "DAO sample 1", shot=1),
        SourcedCandidate(rock_salt_primitive(6.0), "DAO sample 2", shot=2),
        SourcedCandidate(rock_salt_primitive(5.9), "DAO sample 3", shot=3),
        SourcedCandidate(
            Crystal(np.eye(3) * 0.01, [[0, 0, 0], [0.5, 0.5, 0.5]], [11, 17]),
            "DAO sample 4",
            problem="degenerate lattice",
            shot=4,
        ),
    ]


@pytest.mark.slow
def test_chgnet_relax_rank_puts_rock_salt_first_and_merges_its_shots():
    pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")
    from dao_engine.relax.chgnet_backend import chgnet_energies

    candidates = _candidates()
    events = list(relax_and_rank_iter(candidates, RelaxRankSettings(chgnet_steps=150)))
    progress = [e for e in events if isinstance(e, RelaxProgress)]
    assert [p.done for p in progress] == [1, 2, 3, 4] and progress[-1].eta_s == 0.0
    result = events[-1]
    assert isinstance(result, RankedResult) and not result.cancelled
    top = result.candidates[0]
    assert top.space_group_after == "Fm-3m (225)" and top.members == 2 and top.delta_mev == 0.0
    a = (4 * top.crystal.volume) ** (1 / 3)  # conventional edge of the fcc primitive cell
    assert 5.55 < a < 5.8
    before = chgnet_energies([top.candidate.crystal])[0]
    assert top.chgnet_energy < before  # relaxation lowered the CHGNet energy
    b2 = next(c for c in result.candidates if c.candidate.source == "DAO sample 1")
    assert b2.polymorph == 2 and b2.delta_mev > 0
    assert result.candidates[-1].candidate.source == "DAO sample 4"  # implausible last
    assert result.candidates[-1].problem is not None and not result.candidates[-1].relaxed


@pytest.mark.slow
def test_kcl_template_relaxes_to_rock_salt_nacl_near_5_6_angstrom():
    pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")
    from dao_engine.datasets.arrays import CrystalArrays
    from dao_engine.known.library import KnownLibrary
    from dao_engine.known.templates import library_candidates

    kcl = nacl(6.29)
    kcl = Crystal(kcl.lattice, kcl.frac, np.where(kcl.species == 11, 19, 17), "mp-23193")
    library = KnownLibrary.from_arrays(CrystalArrays.from_crystals([kcl]))
    template = library_candidates(library, "NaCl", limit=1)[0]
    sourced = SourcedCandidate(template.crystal, template.source, material_id="mp-23193")
    result = list(relax_and_rank_iter([sourced], RelaxRankSettings(chgnet_steps=150)))[-1]
    top = result.candidates[0]
    assert top.space_group_after == "Fm-3m (225)"
    assert 5.55 < top.crystal.volume ** (1 / 3) < 5.8  # NaCl: 5.64 Å measured, CHGNet ~5.7


def test_cancel_stops_the_first_relaxation_and_keeps_every_candidate():
    pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 1  # stop right after the first force evaluation

    candidates = _candidates()
    events = list(relax_and_rank_iter(candidates, RelaxRankSettings(), should_stop=stop))
    result = events[-1]
    assert result.cancelled and len(result.candidates) == len(candidates)
    assert not any(c.relaxed for c in result.candidates)  # nothing ran to its end
    assert len(calls) <= 2 + len(candidates)  # no relaxation step after the stop


def test_a_collapsing_cell_ends_the_relaxation_at_its_last_good_state(monkeypatch):
    """The guard that keeps CHGNet's neighbour lists bounded (a collapsing cell took 18 GB):
    NaCl strained to a = 6.1 Å shrinks towards 5.7 Å, so a floor at 99 % of the start stops it."""
    pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")
    from dao_engine.relax import chgnet_backend, chgnet_batch

    monkeypatch.setattr(chgnet_batch, "MIN_VOLUME_FRACTION", 0.99)
    start = nacl(6.1)
    out = chgnet_backend.relax_with_chgnet(start, steps=100)
    assert out.invalid is not None and out.invalid.startswith("CHGNet relaxation stopped")
    assert out.crystal.volume >= 0.99 * start.volume - 1e-6  # the last state it evaluated
    assert len(out.energies) < 100


def test_library_best_candidate_ranks_first_unless_energy_order_is_asked():
    """The rule chosen on the validation slice: the library's best candidate's polymorph first,
    the rest by energy; ΔE still measured from the lowest energy."""
    library = SourcedCandidate(nacl(5.64), "template from mp-1 (KCl)", -1.0, material_id="mp-1")
    sample = SourcedCandidate(cscl_type_nacl(3.0), "DAO sample 1", -2.0, shot=1)
    never = lambda a, b: False  # noqa: E731 — two distinct polymorphs
    pinned = list(
        relax_and_rank_iter([library, sample], RelaxRankSettings("none", "dao"), match=never)
    )[-1]
    assert [c.candidate.source for c in pinned.candidates] == [
        "template from mp-1 (KCl)",
        "DAO sample 1",
    ]
    assert [c.polymorph for c in pinned.candidates] == [1, 2]
    assert pinned.candidates[0].delta_mev == pytest.approx(1000.0)  # 1 eV/atom above the sample
    by_energy = RelaxRankSettings("none", "dao", library_first=False)
    plain = list(relax_and_rank_iter([library, sample], by_energy, match=never))[-1]
    assert [c.candidate.source for c in plain.candidates] == [
        "DAO sample 1",
        "template from mp-1 (KCl)",
    ]
