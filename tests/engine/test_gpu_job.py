"""The whole GPU job on a CPU with tiny settings: outputs, resume, evaluation, no pymatgen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.gpu_job import main as gpu_job_main
from dao_engine.io.checkpoint import load_checkpoint
from tests.helpers.fixtures import cscl, nacl, si

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--layers", "1", "--width", "16", "--heads", "2", "--batch-size", "3", "--warmup", "1"]
SAMPLING = ["--steps", "4", "--sample-batch", "3", "--log-every", "1", "--device", "cpu"]

BLOCKER = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('pymatgen', 'spglib', 'smact'):
            raise ImportError('blocked on the GPU machine: ' + name)
        return None
sys.meta_path.insert(0, Block())
from dao_engine.gpu_job import main
code = main(sys.argv[1:])
bad = [m for m in sys.modules if m.split('.')[0] in ('pymatgen', 'spglib', 'smact')]
assert not bad, bad
raise SystemExit(code)
"""


def _arrays_folder(root: Path) -> Path:
    folder = root / "gpu_data" / "toy"
    train = CrystalArrays.from_crystals([nacl(), cscl(), si(), nacl(5.5), cscl(4.0), si(5.5)])
    test = CrystalArrays.from_crystals([nacl(), cscl(), si()])
    folder.mkdir(parents=True)
    train.save_npz(folder / "train.npz")
    test.save_npz(folder / "test.npz")
    manifest = {"family": "toy", "max_atoms": 8, "train_sources": "NaCl, CsCl, Si fixtures"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Path]:
    """The job run once in a subprocess with pymatgen, spglib and smact blocked from import."""
    root = tmp_path_factory.mktemp("job")
    folder, out = _arrays_folder(root), root / "out1"
    args = ["--arrays", str(folder), "--out", str(out), "--minutes", "2", "--sample-minutes", "0.2"]
    args += [*TINY, *SAMPLING, "--total-steps", "3", "--shots", "1,2", "--name", "toy-model"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder, out


def test_job_writes_every_output_without_pymatgen(first_run) -> None:
    _, out = first_run
    names = {p.name for p in out.iterdir()}
    assert {"toy-model.pt", "toy-model_fp16.pt", "job_log.json"} <= names
    assert {"generated_1shot.npz", "generated_2shot.npz"} <= names
    log = json.loads((out / "job_log.json").read_text())
    assert log["train"]["start_step"] == 0 and log["train"]["end_step"] == 3
    assert log["device"] == "cpu" and log["hardware"] and log["train"]["structures_per_s"] > 0
    assert [p["shots"] for p in log["sampling"]] == [1, 2]
    assert all(c["fits_16_mib"] for c in log["checkpoints"].values())
    generated = CrystalArrays.load_npz(out / "generated_2shot.npz")
    assert len(generated) == 6 and sorted(generated.labels["shot"].tolist()) == [0, 0, 0, 1, 1, 1]
    test = CrystalArrays.load_npz(first_run[0] / "test.npz")
    rows = generated.labels["ref_index"].astype(int)
    assert (generated.num_atoms == test.num_atoms[rows]).all()
    compact = load_checkpoint(out / "toy-model_fp16.pt")
    assert compact["optimizer"] is None
    assert next(iter(compact["model"].values())).dtype == torch.float16
    full = load_checkpoint(out / "toy-model.pt")
    moments = next(iter(full["optimizer"]["state"].values()))
    assert moments["exp_avg"].dtype == torch.bfloat16 and full["step"] == 3


def test_resume_continues_the_step_count(first_run, tmp_path) -> None:
    folder, out = first_run
    shutil.copy(out / "toy-model.pt", folder / "toy-model.pt")  # as a user does between runs
    out2 = tmp_path / "out2"
    args = [
        "--arrays",
        str(folder),
        "--out",
        str(out2),
        "--minutes",
        "2",
        "--sample-minutes",
        "0.2",
    ]
    args += [*TINY, *SAMPLING, "--total-steps", "5", "--shots", "1", "--name", "toy-model"]
    assert gpu_job_main(args) == 0
    log = json.loads((out2 / "job_log.json").read_text())
    assert log["resumed_from"] == str(folder / "toy-model.pt")
    assert (log["train"]["start_step"], log["train"]["end_step"]) == (3, 5)
    assert load_checkpoint(out2 / "toy-model.pt")["step"] == 5
    only_sample = tmp_path / "out3"
    args = ["--arrays", str(folder), "--out", str(only_sample), "--no-train", *TINY, *SAMPLING]
    assert gpu_job_main([*args, "--name", "toy-model", "--limit", "2"]) == 0
    log = json.loads((only_sample / "job_log.json").read_text())
    assert "train" not in log and log["sampling"][0]["structures"] == 2


def test_bad_arrays_folder_exits_2(tmp_path) -> None:
    assert gpu_job_main(["--arrays", str(tmp_path), "--out", str(tmp_path / "o")]) == 2


def test_evaluate_generated_writes_the_issue_record(first_run, tmp_path) -> None:
    from dao_engine.jobs.evaluate_generated import main as evaluate_main

    folder, out = first_run
    result = tmp_path / "toy.json"
    args = [str(out / "generated_2shot.npz"), "--test", str(folder / "test.npz")]
    args += ["--log", str(out / "job_log.json"), "--processes", "0", "--out", str(result)]
    assert evaluate_main(args) == 0
    record = json.loads(result.read_text())
    for key in ("command", "commit", "hardware", "train_minutes", "validity", "samples_per_s"):
        assert key in record
    assert record["test_structures"] == 3 and record["shots"] == 2
    assert 0.0 <= record["match_rate"] <= 100.0 and 0.0 <= record["match_rate_k"] <= 100.0
    assert np.isfinite(record["validity"]["both"])
