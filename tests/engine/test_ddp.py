"""Data-parallel training on a CPU with two gloo processes: disjoint shards, identical weights,
only rank 0 writes, resume works; and the GPU job itself under ``torchrun``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
import torch.multiprocessing as mp

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.io.checkpoint import load_checkpoint
from dao_engine.jobs.train_phase import ModelSettings, build_trainer
from dao_engine.training.config import TrainConfig
from dao_engine.training.distributed import close_distributed, init_distributed
from tests.engine.test_gpu_job import SAMPLING, TINY, _arrays_folder
from tests.helpers.fixtures import cscl, nacl, si

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _toy() -> CrystalArrays:
    return CrystalArrays.from_crystals([nacl(), cscl(), si(), nacl(5.5), cscl(4.0), si(5.5)] * 2)


def _worker(rank: int, world: int, port: int, folder: str, steps: int) -> None:
    """One rank: train ``steps`` (resuming from ``ckpt.pt`` if there), dump weights and shard."""
    env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank)}
    os.environ.update(env, WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    out = Path(folder)
    ckpt = out / "ckpt.pt"
    ctx = init_distributed(torch.device("cpu"))
    config = TrainConfig(total_steps=steps, batch_size=2, warmup_steps=1, log_every=2)
    resume = ckpt if ckpt.is_file() else None
    model = ModelSettings(1, 16, 2, 8)
    trainer = build_trainer(_toy(), model, config, ctx.device, ctx, resume, total_steps=steps)
    start = trainer.step
    list(trainer.run(checkpoint_path=ckpt))
    shard = [b.tolist() for b in trainer.data.epoch_batches(2, torch.Generator().manual_seed(1))]
    torch.save(
        {"model": trainer.model.state_dict(), "shard": shard, "start": start, "step": trainer.step},
        out / f"rank{rank}_{steps}.pt",
    )
    close_distributed()


def _spawn(folder: Path, steps: int) -> list[dict]:
    mp.spawn(_worker, args=(2, _free_port(), str(folder), steps), nprocs=2, join=True)
    return [torch.load(folder / f"rank{r}_{steps}.pt") for r in range(2)]


def test_two_gloo_ranks_train_in_lockstep_and_resume(tmp_path) -> None:
    first = _spawn(tmp_path, 4)
    a, b = first
    for name, value in a["model"].items():
        assert torch.equal(value, b["model"][name]), name
    flat_a = {i for batch in a["shard"] for i in batch}
    flat_b = {i for batch in b["shard"] for i in batch}
    assert flat_a and flat_b and not flat_a & flat_b  # disjoint shards of one epoch
    assert len(a["shard"]) == len(b["shard"]) == 3  # 12 crystals, batches of 2, two ranks
    assert load_checkpoint(tmp_path / "ckpt.pt")["step"] == 4  # written by rank 0 only
    assert not list(tmp_path.glob("*.tmp"))
    second = _spawn(tmp_path, 6)
    assert [r["start"] for r in second] == [4, 4] and [r["step"] for r in second] == [6, 6]
    for name, value in second[0]["model"].items():
        assert torch.equal(value, second[1]["model"][name]), name
    assert load_checkpoint(tmp_path / "ckpt.pt")["step"] == 6


def test_gpu_job_under_torchrun(tmp_path) -> None:
    folder, out = _arrays_folder(tmp_path), tmp_path / "out"
    job = ["--arrays", str(folder), "--out", str(out), "--minutes", "2", "--sample-minutes", "0.2"]
    job += [*TINY, *SAMPLING, "--batch-size", "1", "--total-steps", "2", "--name", "ddp"]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    launcher += ["--master_port", str(_free_port()), "-m", "dao_engine.gpu_job"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [*launcher, *job], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log = json.loads((out / "job_log.json").read_text())
    assert log["world_size"] == 2 and log["train"]["global_batch"] == 2
    assert log["train"]["end_step"] == 2 and (out / "ddp.pt").is_file()
    assert (out / "generated_1shot.npz").is_file()
