"""The main window end to end (offscreen): predict, reference, match, export, sessions, undo."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from dao_app.dialogs.export_dialog import ExportChoice
from dao_app.qt_models.candidates import MATCH_COLUMN, RMSE_COLUMN
from dao_engine import api


def _predict(qtbot, window, fill_form, **kw) -> list[int]:
    fill_form(window, **kw)
    with qtbot.waitSignal(window.candidates_added, timeout=60000) as added:
        qtbot.keyClick(window.form.formula, Qt.Key.Key_Return)
    return added.args[0]


def _cells(window, column: int) -> list:
    return [window.model.index(r, column).data() for r in range(window.model.rowCount())]


def test_end_to_end_predict_reference_match_export(qtbot, window, fill_form, nacl_cif, tmp_path):
    uids = _predict(qtbot, window, fill_form, formula="NaCl", shots=2, steps=6)
    assert len(uids) == 2 and window.model.rowCount() == 2
    assert _cells(window, 1) == ["Na4Cl4", "Na4Cl4"]
    assert _cells(window, 4) == ["—", "—"]  # DAO-G predicts no energies
    assert window.view.scene is not None and window.view.crystal is not None
    assert _cells(window, MATCH_COLUMN) == ["—", "—"]

    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000):
        assert window.reference.open_reference(nacl_cif)
    assert window.reference_view.isVisibleTo(window) and window.reference_view.crystal is not None
    assert "StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10)" in window.reference_label.text()
    for record in window.session.candidates:
        assert isinstance(record.match, api.MatchResult)  # an untrained model may not match
    assert all(text in ("yes", "no match") for text in _cells(window, MATCH_COLUMN))
    for text, record in zip(_cells(window, RMSE_COLUMN), window.session.candidates, strict=True):
        assert text == (f"{record.match.rmse:.4f}" if record.match.matched else "—")

    window.select_uids([uids[0]])
    [path] = window.files.export_records(
        window.candidates.selected_records(), ExportChoice("cif"), tmp_path / "shot1.cif"
    )
    back = api.read_structure(path)
    original = window.session.candidates.by_uid(uids[0]).crystal
    assert back.num_atoms >= 1 and sorted(set(back.species)) == sorted(set(original.species))
    assert not window.errors.history


def test_imported_reference_matches_itself_and_undo_remove(qtbot, window, nacl_cif):
    assert window.reference.open_reference(nacl_cif)  # no candidates yet: nothing to match
    assert not window.matcher.busy
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000):
        uids = window.import_structures([nacl_cif, nacl_cif])
    assert _cells(window, MATCH_COLUMN) == ["yes", "yes"]
    assert _cells(window, RMSE_COLUMN) == ["0.0000", "0.0000"]
    window.select_uids([uids[0]])
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert [r.uid for r in window.session.candidates] == [uids[1]]
    assert window.undo_stack.undoText() == "Remove 1 candidate"
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000):
        window.undo_stack.undo()
    assert [r.uid for r in window.session.candidates] == uids
    assert _cells(window, MATCH_COLUMN) == ["yes", "yes"]
    window.undo_stack.redo()
    assert window.model.rowCount() == 1


def test_errors_become_reports_not_crashes(qtbot, window, tmp_path):
    garbage = Path(__file__).resolve().parents[1] / "data" / "garbage.cif"
    with qtbot.waitSignal(window.errors.reported, timeout=5000) as report:
        assert not window.reference.open_reference(garbage)
    assert report.args[0] == "Structure file not readable"
    assert window.session.reference is None
    with qtbot.waitSignal(window.errors.reported, timeout=5000) as report:
        window.reference.open_reference(tmp_path / "nothing.cif")
    assert "no such file" in report.args[1]
    bad_session = tmp_path / "bad.daosession"
    bad_session.write_text("{}")
    with qtbot.waitSignal(window.errors.reported, timeout=5000) as report:
        assert not window.session_files.open_session(bad_session)
    assert "not a DAO Studio session" in report.args[1]
    window.form.set_checkpoint(tmp_path / "missing.pt")
    with qtbot.waitSignal(window.errors.reported, timeout=30000) as report:
        window.jobs.submit(
            api.PredictRequest(
                "NaCl", shots=1, steps=2, device="cpu", checkpoint=str(tmp_path / "missing.pt")
            )
        )
    assert report.args[0] == "Model checkpoint problem" and "Job 1" in report.args[1]


def test_session_save_and_open_restores_the_window(
    qtbot, window, fill_form, nacl_cif, tmp_path, settings
):
    uids = _predict(qtbot, window, fill_form, formula="CsCl", shots=2, steps=4, keep_every=2)
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000):
        window.reference.open_reference(nacl_cif)
    path = tmp_path / "work.daosession"
    assert window.session_files.save_session_to(path) and not window.sessions.dirty
    assert window.windowTitle().startswith("work.daosession")
    assert str(path.resolve()) in settings.recent_files()
    window.candidates.remove_selected()
    window.form.formula.setText("Si")
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000):
        assert window.session_files.open_session(path)
    assert [r.uid for r in window.session.candidates] == uids
    assert window.form.formula.text() == "CsCl" and window.form.shots.value() == 2
    assert window.session.reference is not None
    assert all(r.match is not None for r in window.session.candidates)
    assert window.trajectory.output is not None  # trajectories came back with the session
    assert [s for s, _ in window.trajectory.output.frames] == [2, 4]


def test_autosave_and_recovery(qtbot, window, fill_form, settings):
    _predict(qtbot, window, fill_form, shots=1, steps=3)
    assert window.sessions.dirty
    path = window.sessions.autosave()
    assert path == settings.autosave_path and path.is_file()
    window.session.candidates.replace_all([])
    assert window.session_files.offer_recovery()
    assert window.model.rowCount() == 1 and window.sessions.dirty
    assert window.session_files.save_session_to(settings.data_dir / "kept.daosession")
    assert not path.exists()  # a saved session supersedes the crash copy


def test_trajectory_player_and_energy_marker(qtbot, window, fill_form):
    _predict(qtbot, window, fill_form, shots=2, steps=6, keep_every=2)
    player = window.trajectory
    assert player.output is not None and player.slider.maximum() == 2  # frames at 2, 4, 6
    with qtbot.waitSignal(player.frame_shown, timeout=1000) as shown:
        player.slider.setValue(1)
    assert shown.args == [4] and player.plot.marker_step == 4
    assert player.step_label.text() == "step 4 / 6"
    player.fps.setValue(30)
    with qtbot.waitSignal(player.frame_shown, timeout=2000) as shown:
        player.set_playing(True)
    assert shown.args == [6]
    with qtbot.waitSignal(player.play_button.toggled, timeout=2000) as stopped:
        pass  # at the last frame the player pauses itself
    assert stopped.args == [False] and not player.timer.isActive()
    assert "energies" in player.plot.axes.texts[0].get_text()  # DAO-G: no curve, says why


def test_polymorph_comparison_groups_duplicates(qtbot, window, nacl_cif, tmp_path, crystals):
    cscl = api.write_structure(crystals["cscl"], tmp_path / "CsCl.cif")
    uids = window.import_structures([nacl_cif, cscl, nacl_cif])
    window.select_uids(uids)
    with qtbot.waitSignal(window.polymorphs.matrix_ready, timeout=60000):
        window.views.compare_selected()
    panel = window.polymorphs
    assert window.tabs.currentWidget() is panel
    assert panel.groups == [[0, 2], [1]]
    assert panel.table.item(0, 2).text() == "✓ 0.000" and panel.table.item(0, 1).text() == "✗"
    assert "2 distinct structures among 3" in panel.groups_label.text()


def test_display_options_shortcuts_and_drop(qtbot, window, nacl_cif):
    window.import_structures([nacl_cif])
    window.select_uids([1])
    window.display.repeats[0].setValue(2)
    window.display.labels.setChecked(True)
    assert window.view.options.supercell == (2, 1, 1) and window.view.scene.labels
    window.display.scheme.setCurrentIndex(window.display.scheme.findData("colorblind"))
    assert window.view.scene.legend["Na"] != (249, 220, 60)
    window.actions_by_name["toggle_dark"].trigger()
    assert window.view.dark and window.trajectory.view.dark
    shortcuts = {name: a.shortcut().toString() for name, a in window.actions_by_name.items()}
    assert shortcuts["predict"] == "Ctrl+Return" and shortcuts["save_session"] == "Ctrl+S"
    assert shortcuts["undo"] == "Ctrl+Z" and shortcuts["remove_selected"] == "Del"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(nacl_cif))])
    drop = QDropEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000):
        window.dropEvent(drop)
    assert window.session.reference is not None


def test_closing_the_window_stops_a_running_job(qtbot, window, fill_form):
    fill_form(window, shots=2, steps=1000)
    with qtbot.waitSignal(window.runner.job_progress, timeout=60000):
        window.jobs.predict()
    started = time.perf_counter()
    assert window.close()
    assert time.perf_counter() - started < 2.0
    assert not window.runner.busy
    assert window.session.jobs.jobs[0].status.value == "cancelled"


def test_command_line_help(capsys):
    from dao_app.app import run

    with pytest.raises(SystemExit) as exit_info:
        run(["dao-studio", "--help"])
    assert exit_info.value.code == 0 and "daosession" in capsys.readouterr().out
