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
