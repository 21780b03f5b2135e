"""Qt adapters and the predict form (offscreen): table models, sorting, inline validation."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dao_app.qt_models.candidates import (
    COLUMNS,
    MATCH_COLUMN,
    RMSE_COLUMN,
    CandidateTableModel,
    sorting_proxy,
)
from dao_app.qt_models.jobs import JobTableModel, format_seconds
from dao_app.state.candidates import CandidateList
from dao_app.state.jobs import JobList, JobStatus
from dao_app.widgets.predict_form import PredictForm
from dao_engine import api


def _column(model, column: int) -> list:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_candidate_model_follows_the_list(qtbot, crystals):
    c = CandidateList()
    model = CandidateTableModel(c)
    with qtbot.waitSignal(model.rowsInserted, timeout=1000):
        c.add([c.new_record(x, "file.cif") for x in crystals.values()])
    assert model.rowCount() == 3 and model.columnCount() == len(COLUMNS)
    assert _column(model, 4) == ["—"] * 3  # no predicted energies yet
    assert _column(model, 5) == ["Fm-3m (225)", "Pm-3m (221)", "Fd-3m (227)"]
    assert _column(model, MATCH_COLUMN) == ["—"] * 3
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        c.set_matches({1: api.MatchResult(True, 0.01), 2: api.MatchResult(False)})
    assert _column(model, MATCH_COLUMN)[:2] == ["yes", "no match"]
    assert _column(model, RMSE_COLUMN)[:2] == ["0.0100", "—"]
    assert "stol=0.5" in model.index(0, MATCH_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(model.rowsRemoved, timeout=1000):
        c.remove_uids([2])
    assert _column(model, 0) == ["1", "3"]


def test_sorting_puts_missing_values_last(crystals):
    c = CandidateList()
    records = [c.new_record(x, "t") for x in crystals.values()]
    records[0].energy_per_atom, records[2].energy_per_atom = -2.0, -3.5
    c.add(records)
    proxy = sorting_proxy(CandidateTableModel(c))
    proxy.sort(4, Qt.SortOrder.AscendingOrder)
    assert _column(proxy, 0) == ["3", "1", "2"]
    assert _column(proxy, 4) == ["-3.500", "-2.000", "—"]
    proxy.sort(6, Qt.SortOrder.DescendingOrder)  # volume per atom: CsCl > NaCl > Si
    volumes = [float(v) for v in _column(proxy, 6)]
    assert volumes == sorted(volumes, reverse=True)


def test_job_model_shows_progress_and_outcome():
    jobs = JobList()
    model = JobTableModel(jobs)
    job = jobs.submit(api.PredictRequest("NaCl", shots=2, steps=10))
    assert model.rowCount() == 1 and "Job 1: NaCl, 2 shots" == model.index(0, 0).data()
    jobs.update(job.job_id, status=JobStatus.RUNNING, step=4, total=10, eta_s=75)
    assert model.index(0, 2).data() == "4/10 · ETA 1 min 15 s"
    jobs.update(job.job_id, status=JobStatus.FAILED, message="boom")
    assert model.index(0, 1).data() == "failed" and model.index(0, 2).data() == "boom"
    assert format_seconds(3725) == "1 h 02 min"


def test_form_validates_as_you_type(qtbot, tiny_checkpoint):
    form = PredictForm()
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.model_checked, timeout=30000) as blocker:
        form.set_checkpoint(tiny_checkpoint)
    assert blocker.args == [True] and form.max_atoms == 64
    assert not form.predict_button.isEnabled()
    assert "Type a composition" in form.formula_message.text()
    qtbot.keyClicks(form.formula, "Xx2O")
    assert "unknown element 'Xx'" in form.formula_message.text()
    assert not form.predict_button.isEnabled() and not form.z_box.isEnabled()
    form.formula.setText("(Ba0.5Sr0.5)TiO3")
    assert "disordered" in form.formula_message.text()
    form.formula.setText("")
    qtbot.keyClicks(form.formula, "NaCl")
    assert form.predict_button.isEnabled()
    assert form.z_box.currentText() == "Z = 4  (8 atoms)"  # the sensible default
    assert form.z_box.count() == 32  # Z = 1 … 32 fit into 64 atoms
    form.z_box.setCurrentIndex(1)
    form.shots.setValue(3)
    with qtbot.waitSignal(form.predict_requested, timeout=1000) as request:
        qtbot.mouseClick(form.predict_button, Qt.MouseButton.LeftButton)
    req = request.args[0]
    assert (req.formula, req.z, req.shots, req.checkpoint) == ("NaCl", 2, 3, tiny_checkpoint)
    assert req.guidance == 0.0 and not form.guided.isEnabled()  # DAO-G has no energy head
    assert "no energy head" in form.guided.toolTip()
    fresh = PredictForm()
    qtbot.addWidget(fresh)
    from dao_app.widgets.sampling_effort import DEFAULT_PRESET, PRESETS

    default = next(p for p in PRESETS if p.name == DEFAULT_PRESET)
    assert fresh.shots.maximum() == 100 and fresh.shots.value() == default.shots  # documented
    assert fresh.steps.value() == default.steps


def test_form_values_round_trip_and_bad_checkpoint(qtbot, tmp_path, tiny_checkpoint):
    form = PredictForm()
    qtbot.addWidget(form)
    form.set_values(
        {
            "formula": "CsCl",
            "shots": 7,
            "steps": 50,
            "seed": 3,
            "keep_every": 5,
            "device": "cpu",
            "checkpoint": tiny_checkpoint,
        }
    )
    with qtbot.waitSignal(form.model_checked, timeout=30000):
        pass
    values = form.values()
    assert values["formula"] == "CsCl" and values["shots"] == 7 and values["seed"] == 3
    assert values["checkpoint"] == tiny_checkpoint
    foreign = tmp_path / "foreign.pt"
    foreign.write_bytes(b"PK\x03\x04 not a checkpoint")
    with qtbot.waitSignal(form.model_checked, timeout=30000) as blocker:
        form.set_checkpoint(foreign)
    assert blocker.args == [False]
    assert "corrupt" in form.model_message.text().lower()
    assert not form.predict_button.isEnabled() and form.problem


def test_too_many_atoms_for_the_model(qtbot, tiny_checkpoint):
    form = PredictForm()
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.model_checked, timeout=30000):
        form.set_checkpoint(tiny_checkpoint)
    form.formula.setText("Ca70O")  # 71 atoms in one formula unit
    assert "at most 64 atoms" in form.formula_message.text()
    assert not form.predict_button.isEnabled()
