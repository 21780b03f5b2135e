"""CPU used by the idle main window showing a structure, with and without pyvistaqt's 5 Hz
render timer (the app now renders on change only). Needs Xvfb; writes benchmarks/results JSON.

    python benchmarks/app_idle.py [--seconds 10]

Each variant runs the real window in a subprocess on its own Xvfb display (``QT_QPA_PLATFORM=xcb``)
and reads the process CPU time over ``--seconds`` of an idle event loop.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time, tempfile
from pathlib import Path
timer_hz = float(sys.argv[1]); seconds = float(sys.argv[2])
import pyvistaqt
if timer_hz > 0:  # the old behaviour: QtInteractor's default 5 Hz auto_update timer
    original = pyvistaqt.QtInteractor.__init__
    def with_timer(self, *args, **kwargs):
        kwargs["auto_update"] = timer_hz
        original(self, *args, **kwargs)
    pyvistaqt.QtInteractor.__init__ = with_timer
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QEventLoop, QTimer
app = QApplication([])
from dao_app.main_window import MainWindow
from dao_app.settings import AppSettings
from dao_engine import api
from tests.helpers.fixtures import nacl
work = Path(tempfile.mkdtemp())
window = MainWindow(AppSettings(work / "s.ini", work / "data"), interactive=False)
window.resize(1600, 1000); window.show()
def settle(ms):
    loop = QEventLoop(); QTimer.singleShot(ms, loop.quit); loop.exec()
path = api.write_structure(nacl(), work / "NaCl.cif")
window.import_structures([path]); window.select_uids([window.session.candidates[0].uid])
settle(2000)
cpu, wall = time.process_time(), time.perf_counter()
settle(int(seconds * 1000))
print(json.dumps({"has_3d": window.view.has_3d,
                  "idle_cpu_fraction": (time.process_time() - cpu) / (time.perf_counter() - wall)}))
window.close()
"""


def _xvfb() -> tuple[subprocess.Popen, str]:
    exe = shutil.which("Xvfb")
    if exe is None:
        raise SystemExit("Xvfb is not installed (apt-get install xvfb xauth libgl1 libegl1)")
    proc = subprocess.Popen(
        [exe, "-displayfd", "1", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    return proc, ":" + proc.stdout.readline().strip()  # type: ignore[union-attr]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/app_idle_cpu.json"))
    args = parser.parse_args()
    server, display = _xvfb()
    rows = []
    try:
        for label, hz in (("render on change (now)", 0.0), ("5 Hz render timer (before)", 5.0)):
            env = {k: v for k, v in os.environ.items() if k != "PYVISTA_OFF_SCREEN"}
            env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT))
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(hz), str(args.seconds)],
                env=env, capture_output=True, text=True, timeout=600, cwd=ROOT,
            )  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(done.stderr[-2000:])
            row = {"variant": label, "loadavg_1min": round(os.getloadavg()[0], 2)}
            row.update(json.loads(done.stdout.strip().splitlines()[-1]))
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        server.terminate()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    record = {
        "command": "python benchmarks/app_idle.py --seconds " + str(args.seconds),
        "commit": commit,
        "what": "main window 1600x1000 on Xvfb showing NaCl, idle; process CPU / wall time",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "rows": rows,
    }
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
