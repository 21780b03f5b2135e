"""The shipped specialised generators (perovskites, superconductors) are offered in the
generator list beside the default, read when chosen, and go into the request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dao_app.widgets.predict_form import PredictForm
from dao_engine import api, app_support


@pytest.fixture
def form(qtbot):
    widget = PredictForm()
    qtbot.addWidget(widget)
    yield widget
    assert widget.shutdown()


def test_the_perovskite_generator_is_listed_read_and_requested(qtbot, form):
    combo = form.model.combo
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[0].startswith("Shipped default")
    row = next(i for i, t in enumerate(texts) if t.startswith("Perovskites ABX3"))
    assert Path(combo.itemData(row)).name == "dao-g-perov5-cpu.pt"
    with qtbot.waitSignal(form.model_checked, timeout=60000) as blocker:
        combo.setCurrentIndex(row)
        combo.activated.emit(row)  # as when the user picks the entry
    assert blocker.args == [True]
    assert form.model.info.kind == "dao-g" and not form.model.info.has_energy
    assert form.model.info.max_atoms == 5  # it was trained on 5-atom cells only
    form.formula.setText("SrTiO3")
    qtbot.waitUntil(lambda: form.z_box.count() > 0, timeout=10000)
    sizes = [form.z_box.itemText(i) for i in range(form.z_box.count())]
    assert sizes == ["Z = 1  (5 atoms)"]  # not the 20-atom cells it never saw
    request = form.request()
    assert Path(request.checkpoint).name == "dao-g-perov5-cpu.pt" and request.z == 1


def test_only_titled_manifest_entries_other_than_the_default_are_offered(tmp_path, monkeypatch):
    manifest = {
        "models": {
            api.default_model_path().name: {"sha256": "x", "kind": "dao-p", "title": "Default"},
            "old.pt": {"sha256": "y", "kind": "dao-p"},
            "perov.pt": {"sha256": "z", "kind": "dao-g", "title": "Perovskites"},
        }
    }
    (tmp_path / "MODELS.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(app_support, "MODELS_DIR", tmp_path)
    assert app_support.shipped_generators() == [
        app_support.ShippedGenerator("Perovskites", tmp_path / "perov.pt")
    ]
    (tmp_path / "MODELS.json").write_text("{not json")
    assert app_support.shipped_generators() == []  # loading a model says why, not the list
