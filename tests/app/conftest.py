"""Fixtures of the app tests: offscreen Qt, a tiny checkpoint, isolated settings, a window.

Logic tests run with ``QT_QPA_PLATFORM=offscreen`` (no display needed; the 3-D views show a
placeholder there). The one pixel test starts Xvfb itself (see test_render_xvfb.py).
Every window is closed at the end of its test and must leave no running job thread or
background task behind (the leak check of ``window``).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import importlib.util  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.helpers.fixtures import cscl, nacl, si  # noqa: E402

_MISSING = [
    m
    for m in ("PySide6", "pyvista", "pyvistaqt", "matplotlib", "pytestqt")
    if importlib.util.find_spec(m) is None
]
if _MISSING:  # the app extras are optional: skip this folder instead of failing to import
    collect_ignore_glob = ["test_*.py"]

    def pytest_report_header() -> str:
        return f"tests/app not collected: missing {', '.join(_MISSING)} (bash packaging/setup.sh)"


def make_tiny_checkpoint(path: Path) -> Path:
    """Train a 1-layer, 16-wide Crysformer for 2 steps on NaCl/CsCl/Si and save it (≈5 s)."""
    import torch

    from dao_engine.diffusion import JointDiffusion
    from dao_engine.models import Crysformer, CrysformerConfig
    from dao_engine.training import TrainConfig, Trainer, TrainingSet

    torch.manual_seed(0)
    config = CrysformerConfig(num_layers=1, width=16, heads=2, edge_width=8, fourier_frequencies=4)
    data = TrainingSet.from_crystals([nacl(), cscl(), si()] * 2)
    train = TrainConfig(
        lr=1e-3, warmup_steps=1, total_steps=2, batch_size=3, log_every=1, checkpoint_every=2
    )
    list(Trainer(Crysformer(config), JointDiffusion(), data, train).run(checkpoint_path=path))
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(make_tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.pt"))


@pytest.fixture(scope="session")
def tiny_dao_p(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small DAO-P (with an energy head) trained for 50 steps on strained NaCl."""
    from tests.helpers.models import train_tiny_dao_p

    return str(train_tiny_dao_p(tmp_path_factory.mktemp("dao_p") / "tiny_dao_p.pt", steps=50))


@pytest.fixture(autouse=True)
def no_shipped_tc_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see no T_c model unless they point $DAO_TC_MODEL at one (the shipped file may
    appear while the suite runs; T_c is then off by default, as for a user without it)."""
    monkeypatch.setenv("DAO_TC_MODEL", str(tmp_path / "no-tc-model.pt"))


@pytest.fixture
def settings(tmp_path: Path):
    from dao_app.settings import AppSettings

    return AppSettings(tmp_path / "settings.ini", tmp_path / "appdata")


@pytest.fixture
def nacl_cif(tmp_path: Path) -> Path:
    from dao_engine import api

    return api.write_structure(nacl(), tmp_path / "NaCl_reference.cif")


@pytest.fixture
def open_window(qtbot, tiny_checkpoint):
    """open_window(settings): a main window on the tiny checkpoint; no dialogs; each one
    leak-checked on close at the end of the test."""
    from dao_app.main_window import MainWindow

    opened = []

    def open_(settings):
        win = MainWindow(settings, interactive=False)
        qtbot.addWidget(win)
        with qtbot.waitSignal(win.form.model_checked, timeout=30000):
            win.form.set_checkpoint(tiny_checkpoint)
        win.show()
        opened.append(win)
        return win

    yield open_
    for win in opened:
        _close_and_check(win)


@pytest.fixture
def window(open_window, settings):
    """A main window using the tiny checkpoint; no dialogs; leak-checked on close."""
    return open_window(settings)


def _close_and_check(win) -> None:
    assert win.close()
    assert not win.runner.busy, "a prediction thread outlived its window"
    background = (win.matcher.tasks, win.polymorphs._tasks, win.form._tasks, win.relax.tasks,
                  win.xrd_patterns.tasks)  # fmt: skip
    for tasks in (*background, win.tc.tasks):
        assert tasks.pool.activeThreadCount() == 0, "a background task outlived its window"
    assert win.view.plotter is None  # VTK render windows were released


@pytest.fixture
def fill_form(qtbot):
    """fill_form(window, formula, shots, steps, keep_every, relax_rank): type into the predict
    form. Relax-and-rank is switched off unless ``relax_rank`` (samples only, as before)."""

    def fill(
        win,
        formula: str = "NaCl",
        shots: int = 2,
        steps: int = 6,
        keep_every: int = 2,
        relax_rank: bool = False,
    ):
        win.form.rank_group.setChecked(relax_rank)
        win.form.formula.clear()
        qtbot.keyClicks(win.form.formula, formula)
        win.form.shots.setValue(shots)
        win.form.steps.setValue(steps)
        win.form.keep_every.setValue(keep_every)
        win.form.device.setCurrentText("cpu")

    return fill


@pytest.fixture
def crystals():
    return {"nacl": nacl(), "cscl": cscl(), "si": si()}
