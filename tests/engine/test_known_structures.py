"""Known structures and substitution templates (issue 11, item 3): the element mapping, volume
rescaling, the shipped library, and clear errors for a missing or corrupt library."""

from __future__ import annotations

import numpy as np
import pytest

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import space_group
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.known.library import (
    LIBRARY_PATH,
    KnownLibrary,
    LibraryError,
    fit_element_volumes,
    load_library,
    reduced_counts,
)
from dao_engine.known.substitution import missing_substitution_data, substitution_log_score
from dao_engine.known.templates import best_mapping, library_candidates
from tests.helpers.fixtures import cscl, nacl


def _rocksalt(cation: int, anion: int, a: float, label: str) -> Crystal:
    base = nacl(a)
    species = np.where(base.species == 11, cation, anion)
    return Crystal(base.lattice, base.frac, species, label=label)


def _library(crystals: list[Crystal], energies: list[float]) -> KnownLibrary:
    arrays = CrystalArrays.from_crystals(crystals)
    arrays.energy = np.asarray(energies, dtype=np.float32)
    return KnownLibrary.from_arrays(arrays)


def test_reduced_counts_divides_by_the_common_factor():
    assert reduced_counts([11] * 4 + [17] * 4) == {11: 1, 17: 1}
    assert reduced_counts([22, 22, 8, 8, 8, 8]) == {22: 1, 8: 2}


def test_identity_outscores_every_substitution():
    for element in ("Na", "Cl", "Nb", "O"):
        own = substitution_log_score(element, element)
        assert all(own > substitution_log_score(element, other) for other in ("K", "Br", "V", "S"))
    assert substitution_log_score("K", "Na") > substitution_log_score("K", "Cl")


def test_mapping_sends_chemically_similar_elements_onto_each_other():
    kcl, nacl_counts = {19: 1, 17: 1}, {11: 1, 17: 1}
    mapping, _ = best_mapping(kcl, nacl_counts)
    assert mapping == {19: 11, 17: 17}  # K -> Na, Cl stays
    assert best_mapping({22: 1, 8: 2}, nacl_counts) is None  # 1:2 is not 1:1


def test_elements_without_substitution_data_are_named():
    assert missing_substitution_data(["Na", "He", "Cl", "Ar"]) == ["He", "Ar"]


def test_fitted_element_volumes_reproduce_cell_volumes():
    crystals = [_rocksalt(19, 17, 6.29, "KCl"), _rocksalt(11, 17, 5.64, "NaCl"), cscl()]
    crystals.append(_rocksalt(19, 35, 6.60, "KBr"))
    volumes = fit_element_volumes(CrystalArrays.from_crystals(crystals))
    kcl = 4 * (volumes[19] + volumes[17])
    assert kcl == pytest.approx(6.29**3, rel=0.02)


def test_kcl_template_substituted_to_nacl_is_rescaled_rock_salt():
    library = _library(
        [_rocksalt(19, 17, 6.29, "mp-23193"), cscl(), _rocksalt(11, 35, 5.97, "mp-22916")],
        [-2.2, -2.1, -1.9],
    )
    found = library_candidates(library, "NaCl", limit=3, same_structure=lambda a, b: False)
    assert [c.exact for c in found] == [False, False, False]  # KCl, NaBr and CsCl are 1:1
    assert found[-1].template_formula == "ClCs"  # Cs is the least Na-like substitute
    top = found[0]
    assert sorted(set(top.crystal.species)) == [11, 17] and top.crystal.num_atoms == 8
    assert space_group(top.crystal)[1] == 225
    edge = top.crystal.volume ** (1 / 3)
    assert 5.3 < edge < 6.0  # shrunk from KCl (6.29 Å) towards NaCl (5.64 Å) by the volume estimate
    assert top.source.startswith("template from mp-")


def test_exact_composition_is_a_known_candidate_ranked_by_formation_energy():
    library = _library(
        [_rocksalt(11, 17, 5.64, "mp-22862"), _rocksalt(11, 17, 5.70, "mp-999"), cscl()],
        [-2.1, -1.9, -2.0],
    )
    found = library_candidates(library, "NaCl", limit=5, same_structure=lambda a, b: False)
    assert [c.material_id for c in found[:2]] == ["mp-22862", "mp-999"]
    assert found[0].source == "known mp-22862" and found[0].exact
    templates_only = library_candidates(
        library, "NaCl", 5, known=False, same_structure=lambda a, b: False
    )
    assert all(not c.exact for c in templates_only) and len(templates_only) == 1


def test_duplicate_structures_are_listed_once():
    library = _library([_rocksalt(19, 17, 6.29, "mp-1"), _rocksalt(37, 17, 6.58, "mp-2")], [0, 0])
    found = library_candidates(library, "NaCl", limit=5)  # both templates give rock-salt NaCl
    assert len(found) == 1


def test_shipped_library_loads_and_finds_rock_salt_for_licl():
    library = load_library()
    assert len(library) > 10_000
    found = library_candidates(library, "LiCl", limit=3)
    assert found and all(sorted(set(c.crystal.species)) == [3, 17] for c in found)


def test_missing_library_is_one_clear_line(tmp_path):
    with pytest.raises(LibraryError, match="missing.*sampling still works"):
        load_library(str(tmp_path / "nowhere.npz"))


def test_corrupt_library_is_one_clear_line(tmp_path):
    bad = tmp_path / "mp-known.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LibraryError, match="unreadable"):
        load_library(str(bad))


def test_shipped_library_card_lists_attribution():
    import json

    card = json.loads(LIBRARY_PATH.with_suffix(".json").read_text())
    assert "CC BY 4.0" in card["attribution"] and card["crystals"] > 10_000
    assert card["excluded_from_corpus"]["mp_20/test"] > 0


def test_element_without_substitution_data_is_a_warning_and_sampling_still_works(
    tiny_checkpoint, tmp_path, capsys
):
    """Pm has no entry in pymatgen's substitution table: the CLI says so in one line and still
    writes the DAO samples (and whatever the library holds for PmCl3's 1:3 stoichiometry)."""
    from dao_engine.cli import main

    args = ["predict", "PmCl3", "--shots", "2", "--steps", "3", "--relax", "none", "--rank", "dao"]
    args += [
        "--library",
        "2",
        "--checkpoint",
        str(tiny_checkpoint),
        "--out",
        str(tmp_path),
        "--quiet",
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "warning: no substitution data for Pm" in err
    assert len(list(tmp_path.glob("PmCl3_shot*.cif"))) == 2


def test_missing_library_in_the_pipeline_is_a_warning_not_an_error(tmp_path):
    from dao_engine.ranking.pipeline import SourceSwitches, library_sources

    found, warnings = library_sources("NaCl", SourceSwitches(), str(tmp_path / "gone.npz"))
    assert found == [] and len(warnings) == 1 and "missing" in warnings[0]
