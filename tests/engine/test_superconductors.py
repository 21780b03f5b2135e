"""Superconductor study: data rules, folds, T_c head and ensemble, and the pipeline on fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from dao_engine.crystal.composition import parse_formula
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.supercon import (
    case_study_of,
    composition_of_species,
    drop_case_study_compositions,
    parse_ordered_formula,
    sc_ns_entries,
)
from dao_engine.errors import CheckpointError, ConfigError
from dao_engine.models.loading import load_model
from dao_engine.superconductors.ensemble import (
    TcEnsemble,
    load_ensemble,
    prediction_from_members,
    save_ensemble,
)
from dao_engine.superconductors.features import crystal_features
from dao_engine.superconductors.folds import kfold_indices, train_indices
from dao_engine.superconductors.head import HeadConfig, ln_tc, predict_head, train_head
from tests.helpers.fixtures import cscl, csv3sb5, nacl, si
from tests.helpers.invariance import random_orthogonal

# ----------------------------------------------------------------------------- data rules


@pytest.mark.parametrize(
    ("formula", "case"),
    [
        ("CsV3Sb5", "CsV3Sb5"),
        ("Cs2V6Sb10", "CsV3Sb5"),
        ("Zr16Rh8O4", "Zr4Rh2O"),
        ("Zr4Pd2O", "Zr4Pd2O"),
        ("Zr40Rh20O11", "Zr4Rh2O"),  # within 2 % atom fraction of the case study
        ("Zr4Rh2", None),
        ("Zr2RhO", None),
        ("NaCl", None),
        ("KV3Sb5", None),
    ],
)
def test_case_study_composition_rule(formula, case):
    assert case_study_of(parse_formula(formula)) == case


def test_case_study_crystals_are_dropped_by_composition():
    arrays = CrystalArrays.from_crystals([nacl(), csv3sb5(), si()])
    kept, removed = drop_case_study_compositions(arrays)
    assert removed == ["CsV3Sb5"]
    assert [str(i) for i in kept.ids] == ["NaCl", "Si"]


def test_ordered_formula_parsing():
    assert parse_ordered_formula("Nb3Sn1.0") == parse_formula("Nb3Sn")
    assert parse_ordered_formula("Mg1B2") == parse_formula("MgB2")
    assert parse_ordered_formula("La2Cu1O4") == parse_formula("La2CuO4")
    assert parse_ordered_formula("La1.85Sr0.15Cu1O4") is None
    assert composition_of_species([11, 11, 17, 17]) == parse_formula("NaCl")


def test_sc_ns_excludes_structured_fractional_and_case_studies(tmp_path):
    table = tmp_path / "supercon3d" / "SuperCon_11949.csv"
    table.parent.mkdir()
    table.write_text(
        "Formula,Tc,Materials_family\n"
        "Nb3Sn1,18.0,others\nNaCl,1.0,others\nCs1V3Sb5,2.5,others\n"
        "Zr4Rh2O1,3.0,others\nHg0.7Ba2Cu1O4.1,90,cuprate\nMgB2,0,others\n"
    )
    entries, report = sc_ns_entries(tmp_path, [parse_formula("NaCl")])
    assert [e.composition.formula for e in entries] == ["Nb3Sn"]
    assert entries[0].tc == 18.0
    assert report.has_structure == 1 and report.fractional == 1 and report.non_positive_tc == 1
    assert report.case_study == ["Cs1V3Sb5", "Zr4Rh2O1"]


# ----------------------------------------------------------------------------- folds


def test_folds_are_disjoint_covering_and_reproducible():
    folds = kfold_indices(103, 5, seed=7)
    joined = np.concatenate(folds)
    assert sorted(joined.tolist()) == list(range(103))
    assert {len(f) for f in folds} <= {20, 21}
    again = kfold_indices(103, 5, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(folds, again, strict=True))
    other = kfold_indices(103, 5, seed=8)
    assert not all(np.array_equal(a, b) for a, b in zip(folds, other, strict=True))
    train = train_indices(folds, 2)
    assert np.intersect1d(train, folds[2]).size == 0 and len(train) + len(folds[2]) == 103
    with pytest.raises(ConfigError):
        kfold_indices(3, 5)


# ----------------------------------------------------------------------------- head


def test_head_fits_a_learnable_target_and_beats_the_median():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8)).astype(np.float32)
    y = 1.5 * x[:, 0] - 0.5 * x[:, 1] + 1.0
    head = train_head(x[:240], y[:240], HeadConfig(epochs=300, dropout=0.0))
    mae = np.abs(predict_head(head, x[240:]) - y[240:]).mean()
    baseline = np.abs(np.median(y[:240]) - y[240:]).mean()
    assert mae < 0.25 * baseline


def test_ln_tc_refuses_non_positive():
    assert ln_tc(np.array([np.e]))[0] == pytest.approx(1.0)
    with pytest.raises(ConfigError):
        ln_tc(np.array([1.0, 0.0]))


def test_prediction_from_members_is_geometric_mean_with_spread():
    p = prediction_from_members(np.log([1.0, 4.0]))
    assert p.tc == pytest.approx(2.0)
    assert p.tc_low == pytest.approx(1.0) and p.tc_high == pytest.approx(4.0)
    assert p.members == pytest.approx((1.0, 4.0))
    assert "K" in p.text()


# ----------------------------------------------------------------------------- features


def test_crystal_feature_is_invariant(tiny_dao_p):
    model = load_model(tiny_dao_p, "cpu").model
    base = si()
    q = random_orthogonal(torch.Generator().manual_seed(1)).numpy()
    rotated = base.__class__(base.lattice @ q.T, base.frac, base.species)
    order = np.random.default_rng(2).permutation(base.num_atoms)
    permuted = base.__class__(base.lattice, base.frac[order], base.species[order])
    shifted = base.__class__(base.lattice, base.frac + [0.13, 0.71, 0.4], base.species)
    features = crystal_features(model, [base, rotated, permuted, shifted, nacl()])
    for row in features[1:4]:
        np.testing.assert_allclose(row, features[0], atol=2e-4)
    assert np.abs(features[4] - features[0]).max() > 1e-3


def test_crystal_feature_of_a_cell_above_the_samplers_limit(tiny_dao_p):
    """SC-s holds cells of up to 124 atoms; the sampler refuses cells above max(2·max_atoms, 64)
    but one forward pass for the T_c feature takes them (a 3×3×2 NaCl supercell, 144 atoms),
    alone or padded in a batch beside a small cell, invariant to the atom order; a cell over
    FEATURE_ATOM_LIMIT is refused with a message."""
    from dao_engine.crystal.structure import Crystal
    from dao_engine.superconductors.features import FEATURE_ATOM_LIMIT

    model = load_model(tiny_dao_p, "cpu").model
    base = nacl()
    reps = np.array([3, 3, 2])
    shifts = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(2)])
    frac = ((base.frac[None, :, :] + shifts[:, None, :]) / reps).reshape(-1, 3)
    big = Crystal(base.lattice * reps[:, None], frac, np.tile(base.species, len(shifts)))
    assert big.num_atoms == 144 > model.atom_limit
    order = np.random.default_rng(3).permutation(big.num_atoms)
    permuted = Crystal(big.lattice, big.frac[order], big.species[order])
    together = crystal_features(model, [base, big], pair_budget=2 * 144**2)  # one padded batch
    alone = crystal_features(model, [permuted])
    assert np.isfinite(together).all()
    np.testing.assert_allclose(alone[0], together[1], atol=2e-4)
    too_big = Crystal(base.lattice * 4, np.tile(frac, (2, 1)), np.tile(big.species, 2))
    assert too_big.num_atoms > FEATURE_ATOM_LIMIT
    with pytest.raises(ConfigError, match="too large for a crystal feature"):
        crystal_features(model, [too_big])


# ----------------------------------------------------------------------------- ensemble file


def _heads(width: int, n: int = 2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, width)).astype(np.float32)
    return [train_head(x, x[:, 0], HeadConfig(epochs=3, seed=i)) for i in range(n)]


def test_ensemble_round_trip_and_errors(tiny_dao_p, tmp_path):
    loaded = load_model(tiny_dao_p, "cpu")
    heads = _heads(loaded.model.config.width)
    path = save_ensemble(
        tmp_path / "tc.pt", heads, HeadConfig(epochs=3), Path(tiny_dao_p), {"x": 1}
    )
    crystals = [nacl(), cscl()]
    direct = TcEnsemble(loaded, heads, path).predict(crystals)
    reread = load_ensemble(path, "cpu").predict(crystals)
    assert [p.tc for p in reread] == pytest.approx([p.tc for p in direct], rel=1e-5)
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_ensemble(tmp_path / "broken.pt")
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a DAO T_c ensemble"):
        load_ensemble(tmp_path / "other.pt")
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / Path(tiny_dao_p).name).write_bytes(b"a different feature model")
    (moved / "tc.pt").write_bytes(path.read_bytes())
    with pytest.raises(CheckpointError, match="sha256"):
        load_ensemble(moved / "tc.pt")


# ----------------------------------------------------------------------------- whole pipeline


def _tiny_inputs(tiny_checkpoint, tiny_dao_p):
    from dao_engine.datasets.supercon import CompositionEntry
    from dao_engine.superconductors.study import StudyInputs

    crystals = []
    for i, a in enumerate(np.linspace(5.2, 6.1, 8)):
        crystals.append(
            nacl(a).__class__(
                nacl(a).lattice, nacl(a).frac, nacl(a).species, f"nacl{i}", {"tc": 1.0 + i}
            )
        )
    for i, a in enumerate((3.9, 4.1, 4.3)):
        c = cscl(a)
        crystals.append(c.__class__(c.lattice, c.frac, c.species, f"cscl{i}", {"tc": 10.0 + i}))
    sc_ns = [
        CompositionEntry(parse_formula(f), tc, "others", f)
        for f, tc in [("NaCl", 2.0), ("KBr", 5.0), ("Si2", 7.0)]
    ]
    return StudyInputs(
        sc_s=CrystalArrays.from_crystals(crystals),
        sc_ns=sc_ns,
        references=[cscl()],
        generator=load_model(tiny_checkpoint, "cpu"),
        feature_model=load_model(tiny_dao_p, "cpu"),
        feature_model_path=Path(tiny_dao_p),
    )


def test_generated_structures_are_handed_over_before_a_later_step_fails(
    tiny_checkpoint, tiny_dao_p, monkeypatch
):
    """Sampling SC-ns is the study's slowest step (40 min here): a failure in the features after
    it must not cost it again, so the structures reach ``on_generated`` first."""
    from dao_engine.superconductors import study

    def broken_features(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("feature step failed")

    monkeypatch.setattr(study, "crystal_features", broken_features)
    handed: list = []
    config = study.StudyConfig(steps=4, shots=2, k=5, head=HeadConfig(epochs=2))
    inputs = _tiny_inputs(tiny_checkpoint, tiny_dao_p)
    with pytest.raises(RuntimeError, match="feature step failed"):
        study.run_study(inputs, config, log=lambda _: None, on_generated=handed.append)
    [generated] = handed
    assert len(generated.crystals) + generated.implausible + generated.too_large == 3


def test_tc_pipeline_end_to_end_on_fixtures(tiny_checkpoint, tiny_dao_p, tmp_path, capsys):
    from dao_engine.cli import main
    from dao_engine.io.structure_files import write_structure
    from dao_engine.superconductors.card import ensemble_card
    from dao_engine.superconductors.report import case_record, cv_record, plot_parity, write_json
    from dao_engine.superconductors.report_md import markdown_report
    from dao_engine.superconductors.study import StudyConfig, run_study

    inputs = _tiny_inputs(tiny_checkpoint, tiny_dao_p)
    config = StudyConfig(steps=4, shots=3, k=5, head=HeadConfig(epochs=5))
    result = run_study(inputs, config, log=lambda _: None)
    assert len(result.plain.fold_mae) == 5 and np.isfinite(result.plain.out_of_fold).all()
    generated = result.generated
    assert len(generated.crystals) + generated.implausible + generated.too_large == 3
    assert all(c.properties["tc"] in (2.0, 5.0, 7.0) for c in generated.crystals)
    [case] = result.case_studies
    assert len(case.shots.rmse) == 3 and case.tc_reference.tc > 0
    facts = {
        "command": "test",
        "commit": "x",
        "hardware": "cpu",
        "generator": "g",
        "feature_model": "f",
    }
    cv = cv_record(result, config, facts)
    assert cv["mae_log_tc"] == pytest.approx(result.augmented.mean_mae, abs=1e-4)
    assert len(cv["without_augmentation"]["fold_mae_log_tc"]) == 5
    cases = case_record(result, config, facts)
    write_json(tmp_path / "tc_cv.json", cv)
    assert json.loads((tmp_path / "tc_cv.json").read_text())["n_sc_s"] == 11
    assert "CsCl" in markdown_report(cv, cases, "plot.png")
    assert plot_parity(result, tmp_path / "plot.png").stat().st_size > 1000

    ensemble = save_ensemble(
        tmp_path / "tc.pt", result.shipped.heads, config.head, Path(tiny_dao_p), {}
    )
    card = ensemble_card({**cv, "seconds": {"features": 1, "cross_validation": 2}}, cases, ensemble)
    assert f"**{cv['mae_log_tc']:.3f}**" in card and "CsCl" in card and "tc.pt" in card
    cif = write_structure(nacl(), tmp_path / "nacl.cif")
    assert main(["tc", str(cif), "--tc-model", str(ensemble), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "T_c ≈" in out and "over 5 models" in out
    assert main(["tc", "missing/file.cif", "--tc-model", str(ensemble)]) == 2
    assert "no such file: 'missing/file.cif'" in capsys.readouterr().err


def test_tc_for_a_formula_generates_then_predicts(tiny_checkpoint, tiny_dao_p, tmp_path):
    from dao_engine.superconductors.service import predict_tc_for_formula

    heads = _heads(load_model(tiny_dao_p, "cpu").model.config.width, n=3)
    ensemble = save_ensemble(tmp_path / "tc.pt", heads, HeadConfig(epochs=3), Path(tiny_dao_p), {})
    try:
        result = predict_tc_for_formula(
            "NaCl", shots=4, steps=5, generator=tiny_checkpoint, tc_model=ensemble, device="cpu"
        )
    except CheckpointError as exc:  # an untrained generator may only make implausible cells
        assert "plausible" in str(exc)
        return
    assert 1 <= len(result.shots) == 4 - result.skipped
    assert len(result.summary.members) == 3 * len(result.shots)
    assert all(p.tc > 0 for _, p in result.shots)


def test_generated_structures_round_trip(tmp_path):
    from dao_engine.datasets.supercon import CompositionEntry
    from dao_engine.superconductors.generation import GeneratedSet, load_generated, save_generated

    crystals = [nacl().__class__(nacl().lattice, nacl().frac, nacl().species, "NaCl", {"tc": 2.5})]
    entries = [CompositionEntry(parse_formula("NaCl"), 2.5, "others", "Na1Cl1")]
    path = save_generated(
        GeneratedSet(entries, crystals, 3, 4), tmp_path / "g.npz", {"made_by": "x"}
    )
    back = load_generated(path)
    assert back.entries == entries and (back.too_large, back.implausible) == (3, 4)
    np.testing.assert_allclose(back.crystals[0].frac, crystals[0].frac, atol=1e-6)


# ----------------------------------------------------------------------------- real data


@pytest.mark.data
def test_real_sc_s_and_sc_ns_exclude_the_case_studies(tmp_path, monkeypatch):
    from dao_engine.datasets import settings
    from dao_engine.datasets.registry import load_dataset

    if not settings.has_data_root():
        pytest.skip("../shared/data is absent; set DAO_DATA_ROOT to run the real-data tests")
    monkeypatch.setenv(settings.CACHE_DIR_ENV, str(tmp_path / "cache"))
    sc_s = load_dataset("supercon3d/sc_s")  # one process: a fork after torch threads can hang
    compositions = [composition_of_species(c.species) for c in sc_s.crystals()]
    assert len(sc_s) == 1016 and (sc_s.labels["tc"] > 0).all()
    assert not any(case_study_of(c) for c in compositions)
    assert "by structure" in sc_s.meta["exclusion"]
    entries, report = sc_ns_entries(settings.data_root(), compositions)
    assert len(entries) == 748
    assert not any(case_study_of(e.composition) for e in entries)
    assert not set(e.composition for e in entries) & set(compositions)


def test_sc_s_loader_drops_a_case_study_hidden_in_supercon3d(tmp_path):
    from dao_engine.datasets.loaders import REFERENCE_FILES
    from dao_engine.datasets.supercon import sc_s_loader
    from dao_engine.io.structure_files import write_structure

    root = tmp_path / "data"
    (root / "supercon3d" / "cif").mkdir(parents=True)
    write_structure(nacl(), root / "supercon3d" / "cif" / "1.cif", symmetrize=False)
    write_structure(csv3sb5(), root / "supercon3d" / "cif" / "2.cif", symmetrize=False)
    write_structure(cscl(), root / "supercon3d" / "cif" / "3.cif", symmetrize=False)
    (root / "supercon3d" / "df_all_data1202.csv").write_text(
        ",tc,family,cf,order\n1.cif,1.5,others,Na1Cl1,order\n2.cif,2.3,others,Cs1V3Sb5,order\n"
        "3.cif,0.0,others,Cs1Cl1,order\n"
    )
    for rel in REFERENCE_FILES.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_structure(csv3sb5(), root / rel, symmetrize=False)
    arrays, report = sc_s_loader(root, None, 1)
    assert report.n_read == 3
    assert [c.formula(reduced=True) for c in arrays.crystals()] == ["NaCl"]  # CsCl: Tc = 0
    assert arrays.num_atoms.tolist() == [2]  # the 8-atom cubic cell reduced to its primitive cell
    assert "removed by composition: ['2']" in arrays.meta["exclusion"]
