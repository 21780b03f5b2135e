"""The window never grows by itself (issue 14, item 4): long view titles clip inside their bar,
with the whole text in a tooltip, so a reference and a long candidate title keep the window's
minimum width within a 1366-px screen."""

from __future__ import annotations

LONG = "<b>#12</b> Cs2V6Sb10 · P6/mmm (191) · Job 1 · template from mp-1234567 (K2V6Sb10) " * 3


def test_long_titles_do_not_widen_the_window(window, nacl_cif, qtbot):
    window.show()
    before = window.minimumSizeHint().width()
    assert window.open_reference(nacl_cif)  # the reference view opens beside the candidate's
    window.view.set_title(LONG)
    window.reference_view.set_title(LONG)
    qtbot.wait(50)
    after = window.minimumSizeHint().width()
    assert after <= 1366, (before, after)
    assert window.view.title.toolTip().startswith("#12 Cs2V6Sb10 · P6/mmm (191)")
    assert "<b>" not in window.view.title.toolTip()
