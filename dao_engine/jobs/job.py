"""The GPU job's steps (see :mod:`dao_engine.gpu_job`): load arrays, train, save, sample, log."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.errors import CheckpointError, ConfigError, DatasetError
from dao_engine.jobs.outputs import JobLog, check_checkpoint_size, write_checkpoints
from dao_engine.jobs.sample_phase import SampleSettings, sample_test_split
from dao_engine.jobs.train_phase import ModelSettings, build_trainer, train_until
from dao_engine.model_card import git_commit, hardware_name
from dao_engine.models.loading import LoadedModel, resolve_device
from dao_engine.sampling.settings import (
    DEFAULT_STEP_LR,
    SamplingSettings,
    protocol_step_lr,
    sampling_fields,
)
from dao_engine.training.config import TrainConfig
from dao_engine.training.distributed import DistContext, close_distributed, init_distributed

#: schedule length of a new model when none is given
DEFAULT_TOTAL_STEPS = 60_000
#: seconds kept after sampling for writing files
SAVE_MARGIN_S = 15.0


@dataclass(frozen=True)
class JobSettings:
    """Everything a job needs; times are ``time.monotonic`` seconds (see ``gpu_job`` --help)."""

    arrays: Path
    out: Path
    deadline: float
    started: float = 0.0
    sample_seconds: float = 150.0
    name: str | None = None
    resume: Path | None = None
    train: bool = True
    layers: int = 6
    width: int = 128
    heads: int = 4
    max_atoms: int | None = None
    total_steps: int | None = None
    batch_size: int = 256
    lr: float = 1e-3
    warmup: int = 500
    energy_weight: float = 0.0
    log_every: int = 200
    checkpoint_every: int = 2000
    compile: str = "auto"
    shots: tuple[int, ...] = (1,)
    #: how to sample (``step_lr`` None = the protocol's); ``seed`` below seeds the training
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    sample_batch: int = 2048
    limit: int | None = None
    subset_seed: int = 0
    seed: int = 0
    device: str = "auto"
    allow_large: bool = False
    command: str = ""

    def __post_init__(self) -> None:
        if any(k < 1 for k in self.shots):
            raise ConfigError(f"shots must be ≥ 1, got {self.shots}")


def load_job_arrays(folder: Path) -> tuple[CrystalArrays, CrystalArrays, dict[str, Any]]:
    """``train.npz``, ``test.npz`` and ``manifest.json`` of a prepared folder."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise DatasetError(
            f"{folder} has no manifest.json; write it with 'python -m dao_engine.jobs.prep'"
        )
    manifest = json.loads(manifest_path.read_text())
    train = CrystalArrays.load_npz(folder / "train.npz")
    test = CrystalArrays.load_npz(folder / "test.npz")
    return train, test, manifest


def test_subset(test: CrystalArrays, limit: int | None, seed: int) -> tuple[CrystalArrays, str]:
    """The whole test split, or a fixed random subset of ``limit`` rows (sorted)."""
    if limit is None or limit >= len(test):
        return test, "whole split"
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(test), size=limit, replace=False))
    note = (
        f"random subset of {limit} of {len(test)} entries, chosen with "
        f"numpy.random.default_rng({seed}).choice(n, size, replace=False), sorted"
    )
    return test.subset(rows), note


def _train_config(s: JobSettings) -> TrainConfig:
    return TrainConfig(
        lr=s.lr,
        warmup_steps=s.warmup,
        total_steps=s.total_steps or DEFAULT_TOTAL_STEPS,
        batch_size=s.batch_size,
        seed=s.seed,
        log_every=s.log_every,
        checkpoint_every=s.checkpoint_every,
        compile=s.compile,
        energy_weight=s.energy_weight,
    )


def _resume_path(s: JobSettings, name: str) -> Path | None:
    if s.resume is not None:
        if not s.resume.is_file():
            raise CheckpointError(f"--resume {s.resume} does not exist")
        return s.resume
    found = s.arrays / f"{name}.pt"
    return found if found.is_file() else None


def run_job(s: JobSettings) -> dict[str, Any]:
    """Run the whole job; returns the log written to ``<out>/job_log.json`` (rank 0)."""
    ctx = init_distributed(resolve_device(s.device))
    try:
        return _run(s, ctx)
    finally:
        close_distributed()


def _run(s: JobSettings, ctx: DistContext) -> dict[str, Any]:
    device = ctx.device
    loaded_at = time.monotonic()
    train_arrays, test, manifest = load_job_arrays(s.arrays)
    family = str(manifest.get("family", s.arrays.name))
    kind = "dao-p" if s.energy_weight > 0 else "dao-g"
    name = s.name or f"{kind}-{family}-gpu"
    log = JobLog(s.out / "job_log.json", enabled=ctx.is_main)
    log.update(
        command=s.command,
        commit=git_commit(),
        device=str(device),
        hardware=hardware_name(device.type, device.index or 0),
        torch=torch.__version__,
        bf16_autocast=device.type == "cuda",
        compile=s.compile,
        world_size=ctx.world_size,
        model=name,
        dataset=family,
        arrays=manifest,
        load_s=round(time.monotonic() - loaded_at, 3),
    )
    resume = _resume_path(s, name)
    model = ModelSettings(
        s.layers,
        s.width,
        s.heads,
        s.max_atoms or int(manifest.get("max_atoms", 20)),
        kind == "dao-p",
    )
    meta = {"data": manifest.get("train_sources", family), "command": s.command}
    meta.update(
        commit=git_commit(), hardware=log.data["hardware"], step_lr=_protocol_step_lr(family, 1)
    )
    trainer = build_trainer(
        train_arrays, model, _train_config(s), device, ctx, resume, meta, s.total_steps
    )
    check_checkpoint_size(trainer.model, s.allow_large)
    log.update(resumed_from=None if resume is None else str(resume), start_step=trainer.step)
    checkpoint = s.out / f"{name}.pt"
    if s.train:
        train_deadline = s.deadline - s.sample_seconds - SAVE_MARGIN_S
        log.update(train=train_until(trainer, train_deadline, checkpoint, ctx))
    if not ctx.is_main:
        return log.data
    log.update(checkpoints=write_checkpoints(trainer, checkpoint))
    loaded = LoadedModel(
        trainer.ema_model(),
        trainer.diffusion,
        trainer.kind,
        checkpoint,
        trainer.step,
        trainer.state()["metadata"],
        trainer.energy_normalisation,
    )
    _sample_passes(s, loaded, test, family, log)
    log.update(total_wall_s=round(time.monotonic() - s.started, 3))
    return log.data


def _sample_passes(
    s: JobSettings, loaded: LoadedModel, test: CrystalArrays, family: str, log: JobLog
) -> None:
    """One sampling pass per entry of ``s.shots``, each written to ``generated_<k>shot.npz``."""
    subset, note = test_subset(test, s.limit, s.subset_seed)
    passes = []
    for shots in s.shots:
        step_lr = s.sampling.step_lr
        if step_lr is None:
            step_lr = _protocol_step_lr(family, shots)
        settings = SampleSettings(
            **{**sampling_fields(s.sampling), "step_lr": step_lr},
            shots=shots,
            batch_size=s.sample_batch,
            deadline=s.deadline - SAVE_MARGIN_S,
            compile=s.compile in ("auto", "on"),
        )
        generated, summary = sample_test_split(loaded, subset, settings)
        generated.meta.update(
            model=loaded.path.stem,
            model_step=str(loaded.step),
            dataset=family,
            subset=note,
            test_fingerprint=subset.fingerprint(),
            test_rows=json.dumps(_rows_of(test, subset)),
        )
        path = generated.save_npz(s.out / f"generated_{shots}shot.npz")
        passes.append({**summary, "file": path.name, "subset": note})
        log.update(sampling=passes)


def _protocol_step_lr(family: str, shots: int) -> float:
    """The CSP protocol's corrector scale for the dataset family (1e-5 when it has none)."""
    step_lr = protocol_step_lr(family, shots)
    return DEFAULT_STEP_LR if step_lr is None else step_lr


def _rows_of(test: CrystalArrays, subset: CrystalArrays) -> list[int]:
    """Row of each subset crystal in the whole test split (by id)."""
    index = {str(i): r for r, i in enumerate(test.ids.tolist())}
    return [index[str(i)] for i in subset.ids.tolist()]
