"""The "Plausible" column (offscreen): "ok" or "⚠" with the engine's reason in the tooltip, for
every candidate whatever its source; a flagged candidate's T_c carries a warning."""

from __future__ import annotations

from PySide6.QtCore import Qt

from dao_app.qt_models.candidates import (
    COLUMNS,
    FLAG_COLUMN,
    SORT_ROLE,
    TC_COLUMN,
    CandidateTableModel,
    sorting_proxy,
)
from dao_app.state.candidates import CandidateList
from dao_app.widgets.tc_panel import TcPanel
from dao_engine import api
from tests.helpers.fixtures import cscl, nacl

TIP = Qt.ItemDataRole.ToolTipRole


def _tc(kelvin: float) -> api.TcPrediction:
    return api.TcPrediction(kelvin, kelvin / 2, kelvin * 2, 0.0, 0.5, (kelvin,) * 5)


def _table() -> tuple[CandidateList, CandidateTableModel]:
    c = CandidateList()
    model = CandidateTableModel(c)
    # a file's rock salt, the same squeezed to a = 3.0 Å (Na–Cl 1.50 Å), and a job's CsCl
    c.add([c.new_record(nacl(), "NaCl.cif"), c.new_record(nacl(3.0), "squeezed.cif")])
    c.add([c.new_record(cscl(), "Job 1", job_id=1, shot=1, rank=1, energy_per_atom=-3.0)])
    return c, model


def test_flag_column_shows_the_reason_in_its_tooltip(qtbot):
    c, model = _table()
    assert model.columnCount() == len(COLUMNS) and FLAG_COLUMN == 11
    assert model.headerData(FLAG_COLUMN, Qt.Orientation.Horizontal) == "Plausible"
    cells = [model.index(row, FLAG_COLUMN) for row in range(3)]
    assert [i.data() for i in cells] == ["ok", "⚠", "ok"]
    tip = cells[1].data(TIP)
    assert tip == api.plausibility_problem(nacl(3.0)) == c[1].problem
    assert tip.startswith("atoms Na–Cl 1.50 Å apart (< 0.6 × their radii sum")
    assert cells[0].data(TIP).startswith("plausible") and c[0].problem == ""
    proxy = sorting_proxy(model)  # sorting by the flag puts flagged rows first (ascending)
    proxy.sort(FLAG_COLUMN, Qt.SortOrder.AscendingOrder)
    assert proxy.index(0, 0).data() == "2" and proxy.index(0, FLAG_COLUMN).data(SORT_ROLE) == 0


def test_a_flagged_candidates_tc_carries_a_warning(qtbot):
    c, model = _table()
    c.set_tc({1: _tc(12.34), 2: _tc(12.34)}, "tiny_tc.pt")
    good, bad = model.index(0, TC_COLUMN), model.index(1, TC_COLUMN)
    assert good.data() == "12.3" and bad.data() == "12.3 ⚠"
    assert bad.data(SORT_ROLE) == good.data(SORT_ROLE) == 12.34  # still sorts as a number
    assert bad.data(TIP).startswith(f"structure implausible: {c[1].problem}\n")
    assert "implausible" not in good.data(TIP) and "tiny_tc.pt" in bad.data(TIP)
    panel = TcPanel()
    qtbot.addWidget(panel)
    panel.show_tc([c[0], c[1]], None, model.tc_status)
    assert [name for name, _ in panel.rows] == ["#1 NaCl", "#2 NaCl ⚠"]
    assert "#2: structure implausible (atoms Na–Cl" in panel.summary.text()
    assert "#1: structure implausible" not in panel.summary.text()
