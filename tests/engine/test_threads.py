"""The thread rule (dao_engine/threads.py): one fair intra-op thread unless asked, OpenMP
threads that sleep instead of spinning, applied before torch loads in every entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dao_engine import threads

ROOT = Path(__file__).resolve().parents[2]


def test_requested_threads_default_override_and_cap(monkeypatch):
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    assert threads.requested_threads() == 1
    monkeypatch.setenv(threads.THREADS_ENV, "2")
    assert threads.requested_threads() == min(2, threads.usable_cores())
    monkeypatch.setenv(threads.THREADS_ENV, "999")
    assert threads.requested_threads() == threads.usable_cores()
    monkeypatch.setenv(threads.THREADS_ENV, "many")
    assert threads.requested_threads() == 1
    assert threads.requested_threads(0) == 1


def _fresh(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "DAO_THREADS"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cli_entry_sets_passive_waiting_and_one_thread_before_torch_loads():
    out = _fresh(
        "import os, sys\n"
        "from dao_engine import cli\n"
        "assert 'torch' not in sys.modules\n"
        "cli.main(['train', '--list'])\n"
        "import torch\n"
        "print(os.environ['OMP_WAIT_POLICY'], torch.get_num_threads())\n"
    )
    assert out.splitlines()[-1] == "PASSIVE 1"


def test_user_settings_win():
    out = _fresh(
        "import os\n"
        "from dao_engine.threads import configure_threads\n"
        "n = configure_threads()\n"
        "import torch\n"
        "print(os.environ['OMP_WAIT_POLICY'], n, torch.get_num_threads())\n",
        OMP_WAIT_POLICY="ACTIVE",
        DAO_THREADS="2",
    )
    cores = min(2, threads.usable_cores())
    assert out == f"ACTIVE {cores} {cores}"
