"""The window never grows by itself and fits 1024×700 (issue 14, item 4): long titles are cut
with "…" inside their bar, the whole text in a tooltip; the table shows several rows and its key
columns without scrolling sideways."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dao_app.widgets.elided_label import ElidedLabel

LONG = "<b>#12</b> Cs2V6Sb10 · P6/mmm (191) · Job 1 · template from mp-1234567 (K2V6Sb10) " * 3


def test_long_titles_do_not_widen_the_window(window, nacl_cif, qtbot):
    window.show()
    before = window.minimumSizeHint().width()
    assert window.reference.open_reference(
        nacl_cif
    )  # the reference view opens beside the candidate's
    window.view.set_title(LONG)
    window.reference_view.set_title(LONG)
    qtbot.wait(50)
    after = window.minimumSizeHint().width()
    assert after <= 1366, (before, after)
    assert window.view.title.toolTip().startswith("#12 Cs2V6Sb10 · P6/mmm (191)")
    assert "<b>" not in window.view.title.toolTip()


def test_a_1024x700_window_shows_rows_and_the_key_columns(window, qtbot, tmp_path):
    from dao_app.candidate_table import REFIT_DELAY_MS
    from dao_app.qt_models.candidates import FLAG_COLUMN, MATCH_COLUMN, RMSE_COLUMN, TC_COLUMN
    from dao_engine import api
    from tests.helpers.fixtures import nacl

    long_name = "NaCl_rock_salt_Fm-3m_mp-22862_conventional_standard_from_the_Materials_Project"
    path = api.write_structure(nacl(), tmp_path / f"{long_name}.cif")
    window.resize(1024, 700)
    uids = window.import_structures([path] * 8)  # Source: the long file name; no reference yet
    with qtbot.waitSignal(window.matcher.matches_updated, timeout=60000, raising=False):
        assert window.reference.open_reference(path)
    window.select_uids(uids[:1])
    window.views.toggle_measure()
    qtbot.wait(REFIT_DELAY_MS + 200)
    hint = window.minimumSizeHint()
    assert (window.width(), window.height()) == (1024, 700), "the window grew by itself"
    assert hint.width() <= 1024 and hint.height() <= 700, hint
    assert window.reference_label.is_elided() and long_name in window.reference_label.toolTip()
    table = window.table
    for column in (MATCH_COLUMN, RMSE_COLUMN, TC_COLUMN, FLAG_COLUMN):  # no scrolling needed
        left = table.columnViewportPosition(column)
        assert 0 <= left and left + table.columnWidth(column) <= table.viewport().width(), column
    assert table.columnWidth(2) < table.sizeHintForColumn(2)  # the long Source is elided
    assert table.viewport().height() // table.rowHeight(0) >= 6  # rows visible
    source = table.model().index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert source.startswith(f"{long_name}.cif")
    window.resize(2600, 900)  # room for every column: none is cut
    qtbot.waitUntil(lambda: table.columnWidth(2) >= table.sizeHintForColumn(2), timeout=5000)


def test_elided_label_cuts_rich_text_and_keeps_the_whole_text(qtbot):
    whole = "<b>Reference</b> " + "x" * 300
    label = ElidedLabel(whole)
    qtbot.addWidget(label)
    label.resize(200, 30)
    label.show()
    assert label.is_elided() and label.text() == whole
    assert "…" in label.shown_text() and "font-weight" in label.shown_text()  # bold kept
    assert label.toolTip() == "Reference " + "x" * 300
    assert label.minimumSizeHint().width() < 100  # never asks for its text's width
    label.resize(4000, 30)
    assert not label.is_elided() and label.shown_text() == whole


def test_the_first_window_fits_a_laptop_screen():
    from dao_app.window_size import PREFERRED_SIZE, fit_to_screen

    width, height = fit_to_screen(PREFERRED_SIZE, (1366, 768))
    assert (width, height) == (1311, 737) and width <= 1366 and height <= 768
    assert (
        fit_to_screen(PREFERRED_SIZE, (2560, 1440)) == PREFERRED_SIZE
    )  # big screens: as preferred
