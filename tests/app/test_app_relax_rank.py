"""Relax-and-rank after sampling, through the window: DAO samples + known structures +
substitution templates relaxed (CHGNet), grouped into polymorphs and ranked; cancel keeps what
is done; switched off it is the plain sampling of before; a missing library is one line."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from dao_app.menus import about_text
from dao_app.qt_models.candidates import (
    CHGNET_COLUMN,
    DASH,
    DELTA_COLUMN,
    ENERGY_COLUMN,
    FLAG_COLUMN,
    POLYMORPH_COLUMN,
    RANK_COLUMNS,
    SPACE_GROUPS_COLUMN,
)
from dao_app.state.candidates import CandidateRecord, RankInfo
from dao_app.state.jobs import JobStatus, RankedJob
from dao_app.state.session import Session, session_from_dict, session_to_dict
from dao_app.widgets.predict_form import PredictForm
from dao_engine import api
from tests.helpers.fixtures import nacl

needs_chgnet = pytest.mark.skipif(not api.chgnet_available(), reason="CHGNet is not installed")


def _setup(
    win,
    fill_form,
    *,
    known=True,
    templates=True,
    relax="chgnet",
    rank="chgnet",
    limit=2,
    chgnet_steps=3,
    shots=2,
    steps=4,
) -> None:
    fill_form(win, formula="NaCl", shots=shots, steps=steps, keep_every=2, relax_rank=True)
    f = win.form.rank_group
    f.use_samples.setChecked(True)
    f.use_known.setChecked(known)
    f.use_templates.setChecked(templates)
    f.library_limit.setValue(limit)
    f.chgnet_steps.setValue(chgnet_steps)
    f.relax.setCurrentIndex(f.relax.findData(relax))
    f.rank_by.setCurrentIndex(f.rank_by.findData(rank))
    assert f.relax.currentData() == relax and f.rank_by.currentData() == rank


def _run(qtbot, win, timeout: int = 240000) -> list[int]:
    with qtbot.waitSignal(win.candidates_added, timeout=timeout) as added:
        qtbot.keyClick(win.form.formula, Qt.Key.Key_Return)
    return added.args[0]


def _cell(win, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return win.proxy.index(row, column).data(role)


def _wait_idle(qtbot, win) -> None:
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=30000)
    qtbot.waitUntil(lambda: not win.job_panel.cancel_button.isEnabled(), timeout=30000)


@needs_chgnet
def test_relax_and_rank_end_to_end(qtbot, window, fill_form):
    _setup(window, fill_form)
    uids = _run(qtbot, window)
    job = window.ranking.last_ranked
    assert isinstance(job, RankedJob) and not job.ranked.cancelled
    records = [window.session.candidates.by_uid(u) for u in uids]
    origins = [r.ranking.origin for r in records]
    assert len(records) == 2 + sum(not o.startswith("DAO sample") for o in origins)
    assert sorted(o for o in origins if o.startswith("DAO sample")) == [
        "DAO sample 1",
        "DAO sample 2",
    ]
    assert any(o.startswith("known mp-") for o in origins)  # rock salt is in the library
    header = window.table.horizontalHeader()
    first = header.visualIndex(FLAG_COLUMN) + 1  # shown, right after the key columns
    for offset, column in enumerate(RANK_COLUMNS):
        assert not window.table.isColumnHidden(column)
        assert header.visualIndex(column) == first + offset
    # polymorph 1 first, at ΔE 0.0 meV/atom; the Source column says where it came from
    assert _cell(window, 0, 0) == str(uids[0])
    assert _cell(window, 0, POLYMORPH_COLUMN).startswith("1 (")
    assert _cell(window, 0, DELTA_COLUMN) == "0.0"
    assert _cell(window, 0, 2) == f"Job 1 · {records[0].ranking.origin}"
    assert " → " in _cell(window, 0, SPACE_GROUPS_COLUMN)
    assert float(_cell(window, 0, CHGNET_COLUMN)) < 0  # CHGNet eV/atom
    assert "CHGNet" in _cell(window, 0, DELTA_COLUMN, Qt.ItemDataRole.ToolTipRole)
    header = window.model.headerData(ENERGY_COLUMN, Qt.Orientation.Horizontal)
    assert "DAO-P" in header
    polymorphs = [r.ranking.polymorph for r in records]
    assert polymorphs == sorted(polymorphs)
    assert records[0].ranking.relaxed and "unrelaxed" in records[0].extra
    assert window.view.crystal is records[0].crystal  # the relaxed structure is shown
    status = window.session.jobs.get(1)
    assert status.status is JobStatus.FINISHED and "polymorphs" in status.message
    assert "polymorphs ranked by CHGNet" in window.statusBar().currentMessage()
    _wait_idle(qtbot, window)
    assert not window.errors.history


@needs_chgnet
def test_cancel_during_relax_and_rank_keeps_the_candidates(qtbot, window, fill_form):
    _setup(window, fill_form, chgnet_steps=2000, limit=3)
    cancelled_at = []

    def cancel(job_id, _result):  # the moment sampling ended: relax-and-rank starts now
        cancelled_at.append(job_id)
        window.job_panel.cancel_current()

    window.runner.job_sampled.connect(cancel)
    uids = _run(qtbot, window)
    assert cancelled_at == [1]
    job = window.ranking.last_ranked
    assert job.ranked.cancelled
    assert len(uids) == len(job.ranked.candidates) >= 3  # nothing is lost
    assert not all(c.relaxed for c in job.ranked.candidates)
    assert window.session.jobs.get(1).status is JobStatus.CANCELLED
    assert "kept" in window.session.jobs.get(1).message
    assert "cancelled" in window.statusBar().currentMessage()
    _wait_idle(qtbot, window)
    assert window.job_panel.progress.maximum() != 0  # no busy indicator left
    assert not window.errors.history


def test_relax_rank_off_is_plain_sampling(qtbot, window, fill_form):
    fill_form(window, shots=2, steps=4)  # relax-and-rank off
    uids = _run(qtbot, window, 60000)
    assert len(uids) == 2
    assert all(window.session.candidates.by_uid(u).ranking is None for u in uids)
    assert all(window.table.isColumnHidden(c) for c in RANK_COLUMNS)
    assert window.ranking.last_ranked is None


def test_no_library_and_no_relaxation_ranks_the_samples_only(qtbot, window, fill_form):
    _setup(window, fill_form, known=False, templates=False, relax="none", rank="dao")
    uids = _run(qtbot, window, 60000)
    records = [window.session.candidates.by_uid(u) for u in uids]
    assert sorted(r.ranking.origin for r in records) == ["DAO sample 1", "DAO sample 2"]
    assert all(not r.ranking.relaxed and "unrelaxed" not in r.extra for r in records)
    assert all(r.shot is not None for r in records)
    assert _cell(window, 0, CHGNET_COLUMN) == DASH  # ranked by DAO-P: no CHGNet energy
    assert window.session.jobs.get(1).warnings == []
    _wait_idle(qtbot, window)
    assert not window.errors.history


def test_missing_library_is_one_line_and_samples_still_come(qtbot, window, fill_form, tmp_path):
    _setup(window, fill_form, relax="none", rank="dao")
    window.form.rank_group.library_path = str(tmp_path / "missing.npz")
    warnings = []
    window.runner.job_warning.connect(lambda _job, line: warnings.append(line))
    uids = _run(qtbot, window, 60000)
    assert len(uids) == 2  # the two samples, no library candidates
    [line] = warnings
    assert "missing" in line and "\n" not in line
    message = window.statusBar().currentMessage()
    assert "warning: the known-structure library" in message and "\n" not in message
    assert window.session.jobs.get(1).warnings == [line]
    _wait_idle(qtbot, window)


def test_about_box_carries_the_library_attribution(window):
    text = about_text()
    assert "CC BY 4.0" in text and "Materials Project" in text and "pymatgen" in text


def test_form_defaults_and_plan(qtbot, monkeypatch):
    form = PredictForm()
    qtbot.addWidget(form)
    plan = form.relax_rank_plan()
    has = api.chgnet_available()
    assert plan.switches == api.SourceSwitches(True, True, True, 5)
    assert plan.settings.relax == ("chgnet" if has else "none")
    assert plan.settings.rank == ("chgnet" if has else "dao")
    form.formula.setText("NaCl")
    for box in (
        form.rank_group.use_samples,
        form.rank_group.use_known,
        form.rank_group.use_templates,
    ):
        box.setChecked(False)
    assert "at least one source" in form.rank_problem and not form.predict_button.isEnabled()
    form.rank_group.setChecked(False)
    assert form.relax_rank_plan() is None
    values = form.values()["relax_rank"]
    assert values["on"] is False
    form.shutdown()

    monkeypatch.setattr(api, "chgnet_available", lambda: False)
    bare = PredictForm()
    qtbot.addWidget(bare)
    box = bare.rank_group
    assert box.relax.currentData() == "none" and box.rank_by.currentData() == "dao"
    item = box.relax.model().item(box.relax.findData("chgnet"))
    assert not item.isEnabled() and "not installed" in item.toolTip()
    bare.shutdown()


def test_ranking_survives_a_session_round_trip():
    session = Session()
    c = session.candidates
    info = RankInfo(
        "known mp-22862", 1, 3, 0.0, -3.67, "Fm-3m (225)", "Fm-3m (225)", True, "chgnet", "chgnet"
    )
    c.add([c.new_record(nacl(), "Job 1", job_id=1, ranking=info)])
    back = session_from_dict(session_to_dict(session))
    record: CandidateRecord = back.candidates[0]
    assert record.ranking == info and record.source_text == "Job 1 · known mp-22862"
