"""The CSP benchmark protocol: validity, matching, 1-shot / k-shot / energy-selected numbers, the
checkpoint runner end to end, and the ``dao evaluate`` command."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pytest

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import validity_problem
from dao_engine.errors import ConfigError, DaoError
from dao_engine.evaluation import validity as validity_module
from dao_engine.evaluation.matching import match_all, rms_distance
from dao_engine.evaluation.protocol import Shot, evaluate_predictions
from dao_engine.evaluation.validity import check_prediction, composition_validity
from tests.helpers.fixtures import cscl, nacl, si


def strained(crystal: Crystal, factor: float = 1.6) -> Crystal:
    """The same atoms in a cell stretched along c (beyond the matcher's ltol = 0.3)."""
    return Crystal(crystal.lattice @ np.diag([1.0, 1.0, factor]), crystal.frac, crystal.species)


def moved(crystal: Crystal, seed: int = 0, sigma: float = 0.01) -> Crystal:
    """Atoms permuted, translated and jiggled by ``sigma`` (fractional): still the same crystal."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(crystal.num_atoms)
    frac = crystal.frac[order] + 0.137 + rng.normal(0.0, sigma, (crystal.num_atoms, 3))
    return Crystal(crystal.lattice, frac, crystal.species[order])


def shrunk(crystal: Crystal, factor: float) -> Crystal:
    """The same structure scaled down: the matcher (scale=True) still matches it."""
    return Crystal(crystal.lattice * factor, crystal.frac, crystal.species)


# ------------------------------------------------------------------ validity


def test_smact_composition_validity():
    assert composition_validity(nacl().species) is None
    assert composition_validity(si().species) is None  # a single element passes
    assert composition_validity([29, 30]) is None  # CuZn: all metals pass (alloy)
    assert composition_validity([11, 11, 8]) is None  # Na2O
    assert "charge-neutral" in composition_validity([11, 17, 17])  # NaCl2
    assert "Pauling" in composition_validity([11, 11, 11, 17])  # Na3Cl needs Na⁻


def test_smact_missing_raises_a_clear_error(monkeypatch):
    validity_module._smact_reason.cache_clear()
    monkeypatch.setitem(sys.modules, "smact", None)
    try:
        with pytest.raises(DaoError, match="pip install smact"):
            composition_validity([11, 17])
    finally:
        validity_module._smact_reason.cache_clear()


def test_validity_problem_reasons():
    assert validity_problem(nacl()) is None
    assert "overlapping" in validity_problem(shrunk(cscl(), 0.13))  # Cs–Cl 0.46 Å apart
    assert "collapsed" in validity_problem(shrunk(cscl(), 0.11))  # 0.093 Å³
    flat = Crystal(np.diag([4.0, 4.0, 0.0]), [[0, 0, 0]], [14])
    assert "degenerate" in validity_problem(flat)
    assert check_prediction(None, [11, 17]).structural == "non-finite sample"
    assert not check_prediction(nacl(), [11, 17, 17]).valid


# ------------------------------------------------------------------ matching


def test_matching_perfect_strained_and_moved():
    assert rms_distance(nacl(), nacl()) == pytest.approx(0.0, abs=1e-8)
    assert rms_distance(strained(nacl()), nacl()) is None
    rms = rms_distance(moved(si(), sigma=0.01), si())
    assert rms is not None and 0.0 < rms < 0.1
    assert rms_distance(cscl(), nacl()) is None


def test_process_pool_gives_the_same_outcomes():
    pairs = [(moved(nacl()), nacl()), None, (strained(si()), si()), (moved(si(), 3), si())]
    serial = [o.rms for o in match_all(pairs, processes=1)]
    pooled = [o.rms for o in match_all(pairs, processes=2)]
    assert serial[1] is None and serial[2] is None and serial[0] is not None
    assert pooled == pytest.approx(serial)


# ------------------------------------------------------------------ protocol


def test_one_shot_rate_and_rmse_over_matched_only():
    refs = [nacl(), cscl(), si()]
    preds = [[Shot(moved(nacl(), sigma=0.0))], [Shot(strained(cscl()))], [Shot(si())]]
    result = evaluate_predictions(refs, preds, processes=1)
    assert result.one_shot.match_rate == pytest.approx(200 / 3)
    assert result.one_shot.matched == 2 and result.one_shot.total == 3
    assert result.one_shot.rmse == pytest.approx(0.0, abs=1e-6)
    assert result.k_shot == result.one_shot  # one shot: oracle = 1-shot
    assert result.validity.both == 100.0


def test_k_shot_takes_the_best_and_energy_selection_takes_the_lowest_energy():
    near, exact = moved(nacl(), seed=1, sigma=0.01), moved(nacl(), seed=2, sigma=0.0)
    rms_near = rms_distance(near, nacl())
    assert rms_near is not None and rms_near > 1e-3
    shots = [Shot(strained(nacl()), -1.0), Shot(near, -3.0), Shot(exact, -2.0)]
    result = evaluate_predictions([nacl()], [shots], processes=1)
    assert result.one_shot.match_rate == 0.0 and result.one_shot.rmse is None
    assert result.k_shot.match_rate == 100.0
    assert result.k_shot.rmse == pytest.approx(0.0, abs=1e-6)  # the smallest of the matches
    assert result.selected == (1,)
    assert result.energy_selected is not None
    assert result.energy_selected.rmse == pytest.approx(rms_near)  # not the best match


def test_energy_selected_shot_is_a_miss_even_when_another_shot_matches():
    shots = [Shot(nacl(), -1.0), Shot(strained(nacl()), -5.0)]
    result = evaluate_predictions([nacl()], [shots], processes=1)
    assert result.k_shot.match_rate == 100.0
    assert result.energy_selected is not None and result.energy_selected.match_rate == 0.0
    d = result.to_dict()
    assert d["match_rate"] == 100.0 and d["match_rate_energy"] == 0.0 and d["rmse_energy"] is None


def test_invalid_predictions_count_as_misses():
    tiny = shrunk(cscl(), 0.13)  # matches after volume scaling, but atoms overlap
    assert rms_distance(tiny, cscl()) is not None
    na3cl = Crystal(
        np.eye(3) * 4.0, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]], [17, 11, 11, 11]
    )  # fails SMACT
    refs = [cscl(), na3cl, nacl()]
    preds = [[Shot(tiny)], [Shot(na3cl)], [Shot(None)]]
    result = evaluate_predictions(refs, preds, processes=1)
    assert result.one_shot.matched == 0 and result.k_shot.matched == 0
    assert result.validity.structural == pytest.approx(100 / 3)  # only Na3Cl is structurally ok
    assert result.validity.composition == pytest.approx(200 / 3)
    assert result.validity.both == 0.0


def test_without_energies_energy_selection_is_skipped_with_a_note():
    result = evaluate_predictions([nacl()], [[Shot(nacl()), Shot(nacl())]], processes=1)
    assert result.energy_selected is None
    assert any("energy-selected skipped" in n for n in result.notes)
    d = result.to_dict(per_reference=True)
    assert d["match_rate_energy"] is None and d["per_reference"][0]["energy_selected_shot"] is None


def test_bad_inputs_are_config_errors():
    with pytest.raises(ConfigError, match="prediction lists"):
        evaluate_predictions([nacl(), si()], [[Shot(nacl())]], processes=1)
    with pytest.raises(ConfigError, match="same number"):
        evaluate_predictions([nacl(), si()], [[Shot(nacl())], []], processes=1)


# ------------------------------------------------------------------ runner and CLI

REQUIRED_KEYS = {
    "command",
    "commit",
    "hardware",
    "model",
    "train_minutes",
    "dataset",
    "test_structures",
    "subset",
    "shots",
    "steps",
    "step_lr",
    "match_rate",
    "rmse",
    "match_rate_k",
    "rmse_k",
    "match_rate_energy",
    "rmse_energy",
    "validity",
    "samples_per_s",
    "wall_s",
}


def test_evaluate_checkpoint_end_to_end(tiny_checkpoint, tmp_path):
    from dao_engine.evaluation.runner import evaluate_checkpoint

    out = tmp_path / "tiny_fixtures.json"
    run = evaluate_checkpoint(
        tiny_checkpoint,
        "fixtures/test",
        references=[nacl(), cscl(), si()],
        shots=2,
        steps=3,
        seed=0,
        device="cpu",
        step_lr=1e-5,
        batch_size=4,
        processes=1,
        out=out,
        command="pytest",
    )
    record = json.loads(out.read_text())
    assert REQUIRED_KEYS <= set(record)
    assert record["test_structures"] == 3 and record["shots"] == 2 and record["steps"] == 3
    assert record["command"] == "pytest" and record["dataset"] == "fixtures/test"
    assert record["validity"]["shots"] == 6
    assert record["match_rate_energy"] is None  # DAO-G: no energy head
    assert [e["atoms"] for e in record["per_reference"]] == [8, 2, 8]
    assert all(len(e["rms"]) == 2 for e in record["per_reference"])
    assert 0.0 <= record["match_rate"] <= record["match_rate_k"] <= 100.0
    assert run.result.references == 3 and run.path == out


def test_subset_and_file_names(monkeypatch, tiny_checkpoint):
    from dao_engine.datasets.arrays import CrystalArrays
    from dao_engine.evaluation import runner
    from dao_engine.prediction import get_model

    crystals = [c.with_label(f"id-{i}") for i, c in enumerate([nacl(), cscl(), si()] * 3)]
    monkeypatch.setattr(
        "dao_engine.datasets.load_dataset",
        lambda name, limit=None: CrystalArrays.from_crystals(crystals[:limit]),
    )
    first, note = runner.load_references("perov_5/test", limit=2)
    assert [c.label for c in first] == ["id-0", "id-1"] and "first 2" in note
    a, note = runner.load_references("perov_5/test", limit=4, subset_seed=7)
    b, _ = runner.load_references("perov_5/test", limit=4, subset_seed=7)
    assert [c.label for c in a] == [c.label for c in b] and "default_rng(7)" in note
    loaded = get_model(tiny_checkpoint, "cpu")
    assert runner.default_output(loaded, "mp_20/test").name == "tiny_mp_20.json"
    assert runner.default_step_lr("perov_5/test", 20, loaded) == (5e-7, "perov_5 default")
    assert runner.default_step_lr("carbon_24/test", 1, loaded)[0] == 5e-6


def test_cli_evaluate_prints_a_table(monkeypatch, tiny_checkpoint, tmp_path, capsys):
    from dao_engine.cli import evaluate
    from dao_engine.datasets.arrays import CrystalArrays

    refs = [cscl(), nacl()]
    monkeypatch.setattr(
        "dao_engine.datasets.load_dataset",
        lambda name, limit=None: CrystalArrays.from_crystals(refs[:limit]),
    )
    parser = argparse.ArgumentParser(prog="dao")
    evaluate.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "cli.json"
    args = parser.parse_args(
        [
            "evaluate",
            str(tiny_checkpoint),
            "--data",
            "perov_5/test",
            "--shots",
            "1",
            "--steps",
            "2",
            "--limit",
            "1",
            "--device",
            "cpu",
            "--processes",
            "1",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert evaluate.run(args) == 0
    text = capsys.readouterr().out
    assert "1-shot" in text and "energy-selected" in text and str(out) in text
    record = json.loads(out.read_text())
    assert record["step_lr"] == 5e-7 and record["command"].startswith("dao evaluate")
