"""Powder patterns are computed off the GUI thread: a click returns at once, the pattern lands
later, and an answer for a candidate that is no longer selected is not drawn (offscreen)."""

from __future__ import annotations

import threading

import pytest

from dao_app.state.candidates import CandidateList
from dao_app.xrd_controller import XrdController, short_name
from dao_engine import api
from tests.helpers.fixtures import cscl, nacl


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch):
    """``gate.hold(crystal)``: computing that crystal's pattern waits until ``gate.open()``;
    ``gate.started`` is set once it waits. Other crystals are computed as usual."""
    real = api.powder_pattern

    class Gate:
        held: api.Crystal | None = None
        started = threading.Event()
        _open = threading.Event()

        def hold(self, crystal: api.Crystal) -> None:
            self.held = crystal

        def open(self) -> None:
            self._open.set()

        def pattern(self, crystal: api.Crystal, *args):  # noqa: ANN002, ANN201
            if crystal is self.held:
                self.started.set()
                assert self._open.wait(30), "the test never opened the gate"
            return real(crystal, *args)

    g = Gate()
    monkeypatch.setattr(api, "powder_pattern", g.pattern)
    yield g
    g.open()  # never leave a pool thread waiting


def test_pattern_arrives_later_and_a_stale_one_is_dropped(qtbot, gate):
    candidates = CandidateList()
    first, second = candidates.new_record(cscl(), "CsCl.cif"), candidates.new_record(nacl(), "x")
    controller = XrdController()
    shown: list[str | None] = []
    controller.ready.connect(lambda cand, _ref: shown.append(None if cand is None else cand[0]))
    gate.hold(first.crystal)
    assert controller.request(first, None) is False  # returned while the pattern is computed
    assert gate.started.wait(10) and shown == []
    assert controller.request(second, None) is False  # another candidate chosen meanwhile
    with qtbot.waitSignal(controller.ready, timeout=60000):
        gate.open()
    qtbot.waitUntil(lambda: not controller.busy, timeout=60000)
    assert shown == [f"#{second.uid} Na4Cl4"]  # the first (stale) answer was never shown
    assert controller.cached_uids() == {first.uid, second.uid}  # but it was kept
    assert controller.request(first, None) is True  # from the cache, at once
    assert shown[-1] == f"#{first.uid} CsCl"
    controller.shutdown()


def test_a_failure_is_reported_only_for_the_latest_request(qtbot, monkeypatch):
    def broken(crystal, *_args):  # noqa: ANN001, ANN202
        raise ValueError(f"no pattern for {crystal.formula()}")

    monkeypatch.setattr(api, "powder_pattern", broken)
    candidates = CandidateList()
    first, second = candidates.new_record(cscl(), "a"), candidates.new_record(nacl(), "b")
    controller = XrdController()
    failures: list[str] = []
    controller.failed.connect(lambda exc: failures.append(str(exc)))
    controller.request(first, None)
    controller.request(second, None)
    qtbot.waitUntil(lambda: not controller.busy, timeout=30000)
    assert failures == ["no pattern for Na4Cl4"]
    controller.shutdown()


def test_a_click_on_the_xrd_tab_never_waits(qtbot, window, nacl_cif, tmp_path, gate):
    paths = [api.write_structure(cscl(), tmp_path / "CsCl.cif"), nacl_cif]
    uids = window.import_structures(paths)  # no reference: nothing to match
    slow, fast = (window.session.candidates.by_uid(u) for u in uids)
    gate.hold(slow.crystal)
    window.tabs.setCurrentWidget(window.xrd)
    window.select_uids([slow.uid])  # returns although the pattern is still being computed
    assert gate.started.wait(10)
    assert window.xrd.pending and window.xrd.candidate is None
    window.select_uids([fast.uid])
    gate.open()
    qtbot.waitUntil(lambda: window.xrd.candidate is not None, timeout=60000)
    qtbot.waitUntil(lambda: not window.xrd_patterns.busy, timeout=60000)
    assert window.xrd.candidate[0] == f"#{fast.uid} Na4Cl4"  # not the stale CsCl
    assert len(window.xrd.axes.get_lines()) == 1 and not window.xrd.pending
    assert not window.errors.history


def test_long_reference_names_are_shortened_in_the_legend():
    name = "NaCl_rock_salt_Fm-3m_mp-22862_conventional_standard_from_the_Materials_Project.cif"
    short = short_name(name)
    assert len(short) == 40 and short.startswith("NaCl_rock_salt") and short.endswith("ect.cif")
    assert "…" in short and short_name("NaCl.cif") == "NaCl.cif"
