"""Training and sampling speed on this CPU: attention before/after, threads 1 vs 2, idle vs with a
busy process beside, batch sizes; optionally torch.compile. Writes benchmarks/results JSON.

    python benchmarks/training_speed.py [--pause-pid PID] [--compile] [--out FILE]

Each variant runs in a fresh subprocess (thread counts and OpenMP settings only take effect
before torch loads). "loaded" starts one busy Python process (a spin loop) beside it for the
measurement. ``--pause-pid`` stops another process (SIGSTOP, e.g. a long training run) for the
whole benchmark and continues it (SIGCONT) at the end, so that "idle" is idle.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
from dao_engine.threads import configure_threads
spec = json.loads(sys.argv[1])
configure_threads(spec["threads"])
import torch
from dao_engine.jobs.corpus import validation_slice
from dao_engine.models.layers import InvariantAttention
from dao_engine.models.crysformer import Crysformer, CrysformerConfig
from dao_engine.diffusion.joint import JointDiffusion
from dao_engine.training.data import training_set_from_arrays
from dao_engine.training.losses import csp_loss
if spec["attention"] == "before":
    InvariantAttention.forward = InvariantAttention.reference_forward
torch.manual_seed(0)
cfg = CrysformerConfig(num_layers=4, width=128, heads=4, max_atoms=20, energy_head=True)
model = Crysformer(cfg)
diffusion = JointDiffusion()
if spec["job"] == "train":
    data = training_set_from_arrays(validation_slice(512, seed=1))
    forward = torch.compile(model, dynamic=True) if spec["compile"] else model
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    gen = torch.Generator().manual_seed(0)
    batches = list(data.epoch_batches(spec["batch"], torch.Generator().manual_seed(0)))
    def step(idx):
        batch, _ = data.gather(idx)
        loss = csp_loss(forward, diffusion, batch, gen)["total"]
        opt.zero_grad(); loss.backward(); opt.step()
    t0 = time.perf_counter()
    for b in batches[:4]: step(b)
    warm = time.perf_counter() - t0
    cpu0, t0, n = time.process_time(), time.perf_counter(), 0
    while time.perf_counter() - t0 < spec["seconds"]:
        for b in batches:
            step(b); n += len(b)
            if time.perf_counter() - t0 >= spec["seconds"]: break
    wall = time.perf_counter() - t0
    print(json.dumps({"structures_per_s": n / wall, "cpu_s_per_wall_s": (time.process_time() - cpu0) / wall, "warmup_s": warm}))
else:
    from dao_engine.crystal.batch import CrystalBatch
    from dao_engine.sampling import PCSampler, SamplerConfig, model_denoiser
    model.eval()
    species = CrystalBatch.from_species([[11, 11, 11, 11, 17, 17, 17, 17]] * 20).species
    sampler = PCSampler(diffusion, model_denoiser(model), SamplerConfig(steps=spec["steps"]))
    cpu0, t0 = time.process_time(), time.perf_counter()
    for _ in sampler.iterate(species, torch.Generator().manual_seed(0)): pass
    wall = time.perf_counter() - t0
    print(json.dumps({"seconds": wall, "cpu_s_per_wall_s": (time.process_time() - cpu0) / wall}))
"""


def _run(spec: dict, loaded: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "DAO_THREADS"))}
    env["PYTHONPATH"] = str(ROOT)
    if spec.get("wait_policy"):
        env["OMP_WAIT_POLICY"] = spec["wait_policy"]  # else the rule's PASSIVE
    busy = None
    if loaded:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        load_before = os.getloadavg()[0]
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(spec)],
            env=env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**spec, "loaded": loaded, "loadavg_1min_before": round(load_before, 2), **result}


def _variants(compile_: bool) -> list[tuple[dict, bool]]:
    train = {"job": "train", "seconds": 25, "compile": False, "batch": 64}
    out = []
    for attention in ("before", "after"):
        out.append(({**train, "attention": attention, "threads": 1}, False))
    for loaded in (False, True):
        for threads in (1, 2):
            out.append(({**train, "attention": "after", "threads": threads}, loaded))
            out.append(
                ({"job": "sample", "steps": 50, "attention": "after", "threads": threads}, loaded)
            )
    for job in (
        {**train, "attention": "after"},
        {"job": "sample", "steps": 50, "attention": "after"},
    ):
        out.append(({**job, "threads": 2, "wait_policy": "ACTIVE"}, True))  # the cause
    for batch in (32, 128):
        out.append(({**train, "attention": "after", "threads": 1, "batch": batch}, False))
    if compile_:
        out.append(
            ({**train, "attention": "after", "threads": 1, "compile": True, "seconds": 40}, False)
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pause-pid", type=int, default=None)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/training_speed_cpu.json"))
    args = parser.parse_args()
    if args.pause_pid:
        os.kill(args.pause_pid, signal.SIGSTOP)
    started, rows = time.time(), []
    try:
        for spec, loaded in _variants(args.compile):
            rows.append(_run(spec, loaded))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        if args.pause_pid:
            os.kill(args.pause_pid, signal.SIGCONT)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    record = {
        "command": "python benchmarks/training_speed.py" + (" --compile" if args.compile else ""),
        "commit": commit,
        "hardware": _cpu_name() + f", {os.cpu_count()} cores",
        "model": "Crysformer 4 layers x 128 wide, 4 heads, energy head (the long-run model)",
        "data": "512 MP-20 val crystals (validation_slice(512, seed=1)), size-bucketed batches",
        "conditions": "idle = nothing else running (the long training paused with SIGSTOP when "
        "--pause-pid was given); loaded = one busy Python spin loop beside it",
        "paused_pid": args.pause_pid,
        "wall_s": round(time.time() - started, 1),
        "rows": rows,
    }
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
