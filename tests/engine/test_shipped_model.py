"""The model the app ships: listed with its hash, loads without arguments, and predicts on CPU."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from dao_engine import api
from dao_engine.errors import CheckpointError
from dao_engine.prediction import MANIFEST_NAME, default_model_path, verify_shipped_model


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv("DAO_MODEL", raising=False)


def test_manifest_lists_every_shipped_model_with_a_matching_hash_and_a_card():
    folder = default_model_path().parent
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert default_model_path().name in manifest["models"]
    for name, entry in manifest["models"].items():
        path = folder / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert (folder / entry["card"]).is_file()
        assert path.stat().st_size < 50e6


def test_default_model_predicts_on_cpu_with_energies():
    result = api.predict(api.PredictRequest(formula="NaCl", z=2, shots=2, steps=10, device="cpu"))
    assert len(result.candidates) == 2
    assert all(c.crystal.formula(reduced=True) == "NaCl" for c in result.candidates)
    assert all(c.energy_per_atom is not None for c in result.candidates)
    assert "formation energy per atom" in result.energy_label


def test_a_damaged_shipped_model_is_refused(tmp_path):
    folder = tmp_path / "models"
    shutil.copytree(default_model_path().parent, folder)
    copy = folder / default_model_path().name
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    verify_shipped_model.cache_clear()
    with pytest.raises(CheckpointError, match="damaged"):
        verify_shipped_model(copy)


def test_shipped_tc_ensemble_predicts_on_cpu_with_a_spread(monkeypatch):
    import torch

    from dao_engine.superconductors.ensemble import read_ensemble_payload
    from tests.helpers.fixtures import csv3sb5, nacl

    monkeypatch.delenv("DAO_TC_MODEL", raising=False)
    path = api.default_tc_model_path()
    payload = read_ensemble_payload(path)
    assert len(payload["heads"]) == 5 and payload["log"] == "ln(Tc/K)"
    assert 0 < payload["metadata"]["mae_log_tc"] < 1.078  # better than predicting the median
    predictions = api.predict_tc([csv3sb5(), nacl()], device="cpu")
    for p in predictions:
        assert 0 < p.tc_low <= p.tc <= p.tc_high and len(p.members) == 5
        assert torch.isfinite(torch.tensor(p.members)).all()


def test_shipped_supercon_generator_makes_a_28_atom_cell():
    from dao_engine.superconductors.service import default_sc_generator_path

    result = api.predict(
        api.PredictRequest(
            formula="Zr16Rh8O4",
            shots=1,
            steps=5,
            device="cpu",
            checkpoint=str(default_sc_generator_path()),
        )
    )
    assert result.candidates[0].crystal.num_atoms == 28
