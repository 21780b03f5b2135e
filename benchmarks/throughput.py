"""Training and sampling throughput of a Crysformer (default 6 layers × 256 wide).

    python benchmarks/throughput.py [--device cpu|cuda] [--layers 6 --width 256]
        [--train-steps 20 --batch-size 64] [--shots 20 --atoms 10 --sample-steps 20]
        [--out benchmarks/results/throughput_cpu.json]

Training data: MP-20 validation crystals with ≤ 20 atoms when ../shared/data is present
(realistic size mix), else random cells with 2–20 atoms. Training throughput counts crystals per
second through full optimiser steps (forward, backward, AdamW, EMA). Sampling throughput counts
denoiser evaluations per second: each reverse step costs two (predictor + corrector), each
evaluation processes every shot of the batch.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dao_engine.diffusion import JointDiffusion  # noqa: E402
from dao_engine.models import Crysformer, CrysformerConfig  # noqa: E402
from dao_engine.sampling import PCSampler, SamplerConfig, model_denoiser  # noqa: E402
from dao_engine.training import TrainConfig, Trainer, TrainingSet  # noqa: E402
from dao_engine.training.data import training_set_from_arrays  # noqa: E402


def training_data(max_atoms: int, seed: int) -> tuple[TrainingSet, str]:
    try:
        from dao_engine.datasets import load_dataset

        arrays = load_dataset("mp_20/val")
        arrays = arrays.subset(np.flatnonzero(arrays.num_atoms <= max_atoms))
        return training_set_from_arrays(
            arrays
        ), f"mp_20/val (≤{max_atoms} atoms, {len(arrays)} crystals)"
    except Exception as exc:  # data absent: synthetic cells of realistic sizes
        rng = np.random.default_rng(seed)
        n = rng.integers(2, max_atoms + 1, size=2000)
        lattice = np.eye(3)[None] * rng.uniform(3, 9, size=(2000, 1, 1))
        return TrainingSet(
            lattice, rng.random((n.sum(), 3)), rng.integers(1, 84, n.sum()), n
        ), f"synthetic ({exc})"


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {torch.get_num_threads()} threads"


def bench_training(args, device, config) -> dict:
    data, source = training_data(20, args.seed)
    cfg = TrainConfig(
        batch_size=args.batch_size,
        total_steps=args.warmup_steps + args.train_steps,
        log_every=args.warmup_steps,
        checkpoint_every=10**9,
        compile=args.compile,
        bf16=args.bf16,
    )
    trainer = Trainer(Crysformer(config), JointDiffusion(), data, cfg, device)
    marks = []  # (step, time) at the end of the warm-up (and compilation) steps and at the end
    for event in trainer.run():
        marks.append((event.step, time.perf_counter()))  # events synchronise CUDA
    (first_step, first_time), (last_step, last_time) = marks[0], marks[-1]
    seconds = last_time - first_time
    steps = last_step - first_step
    return {
        "data": source,
        "batch_size": args.batch_size,
        "steps": steps,
        "seconds": round(seconds, 3),
        "structures_per_s": round(steps * args.batch_size / seconds, 1),
    }


def bench_sampling(args, device, config) -> dict:
    model = Crysformer(config).to(device).eval()
    sampler = PCSampler(
        JointDiffusion(),
        model_denoiser(model, autocast=device.type == "cuda"),
        SamplerConfig(steps=args.sample_steps),
    )
    species = torch.tensor([[11, 17] * (args.atoms // 2)] * args.shots, device=device)
    sampler.sample(species, torch.Generator(device=device).manual_seed(0))  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    sampler.sample(species, torch.Generator(device=device).manual_seed(1))
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    evaluations = 2 * args.sample_steps - 1  # no corrector after the last step
    return {
        "shots": args.shots,
        "atoms": args.atoms,
        "steps": args.sample_steps,
        "seconds": round(seconds, 3),
        "network_evaluations_per_s": round(evaluations / seconds, 2),
        "structure_evaluations_per_s": round(evaluations * args.shots / seconds, 1),
        "seconds_per_1000_step_sample_batch": round(seconds / args.sample_steps * 1000, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--warmup-steps", type=int, default=3)
    p.add_argument("--train-steps", type=int, default=20)
    p.add_argument("--shots", type=int, default=20)
    p.add_argument("--atoms", type=int, default=10)
    p.add_argument("--sample-steps", type=int, default=20)
    p.add_argument("--compile", default="off", choices=["auto", "on", "off"])
    p.add_argument("--bf16", default="auto", choices=["auto", "on", "off"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    config = CrysformerConfig(num_layers=args.layers, width=args.width, heads=args.heads)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    result = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "commit": commit,
        "hardware": hardware(device),
        "torch": torch.__version__,
        "model": config.to_dict(),
        "parameters": sum(p.numel() for p in Crysformer(config).parameters()),
        "compile": args.compile,
        "bf16": args.bf16 if device.type == "cuda" else "off (CPU)",
        "training": bench_training(args, device, config),
        "sampling": bench_sampling(args, device, config),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
