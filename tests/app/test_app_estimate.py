"""The Predict form's presets and its time estimate (offscreen)."""

from __future__ import annotations

import re

from dao_app.widgets.predict_form import PredictForm
from dao_app.widgets.sampling_effort import CUSTOM, DEFAULT_PRESET, PRESETS


def _form(qtbot, checkpoint: str) -> PredictForm:
    form = PredictForm()
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.effort.calibrated, timeout=60000):
        form.set_checkpoint(checkpoint)
    return form


def _seconds(text: str) -> float:
    """Total seconds of '≈ 1 min 05 s …' / '≈ 42 s …' / '≈ 1 h 02 min …'."""
    head = text.split(" on ")[0]
    units = {"h": 3600, "min": 60, "s": 1}
    return float(sum(int(v) * units[u] for v, u in re.findall(r"(\d+) (h|min|s)\b", head)))


def test_presets_fill_shots_and_steps_and_hand_edits_are_custom(qtbot, tiny_checkpoint):
    form = _form(qtbot, tiny_checkpoint)
    assert form.effort.preset == DEFAULT_PRESET
    quick = next(p for p in PRESETS if p.name == "Quick")
    form.effort.choose("Quick")
    assert (form.shots.value(), form.steps.value()) == (quick.shots, quick.steps)
    form.shots.setValue(quick.shots + 1)
    assert form.effort.preset == CUSTOM
    form.shots.setValue(quick.shots)
    assert form.effort.preset == "Quick"
    form.shutdown()


def test_estimate_follows_shots_atoms_and_relaxation(qtbot, tiny_checkpoint):
    form = _form(qtbot, tiny_checkpoint)
    form.rank_group.setChecked(False)
    form.formula.setText("NaCl")
    form.effort.choose("Full")
    full = form.effort.estimate.text()
    assert full.startswith("≈") and "relaxing" not in full
    form.effort.choose("Quick")
    quick = form.effort.estimate.text()
    assert _seconds(quick) <= _seconds(full)
    form.z_box.setCurrentIndex(form.z_box.count() - 1)  # the largest cell
    assert _seconds(form.effort.estimate.text()) >= _seconds(quick)
    form.effort.choose("Full")
    if form.rank_group.has_chgnet:
        form.rank_group.setChecked(True)
        assert "relaxing" in form.effort.estimate.text()
    form.formula.setText("Xx2")
    assert "composition" in form.effort.estimate.text()
    form.shutdown()
