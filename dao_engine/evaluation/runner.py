"""Evaluate a checkpoint with the CSP protocol: sample every test composition, match, write JSON.

Every test crystal gets ``shots`` samples with its exact species (and so its atom count).
Samples of similar size share one padded batch of ``batch_size`` structures. A DAO-P checkpoint
(energy head) also predicts each sample's energy per atom at t = 0, used by the
energy-selected metric. The record goes to ``benchmarks/results/<model>_<dataset>.json``.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import ConfigError, DaoError
from dao_engine.evaluation.protocol import (
    MatchProgress,
    ProtocolResult,
    Shot,
    evaluate_predictions_iter,
)
from dao_engine.events import StopCheck
from dao_engine.models.energy_head import energy_model_for
from dao_engine.models.loading import LoadedModel
from dao_engine.prediction import PROJECT_ROOT, get_model
from dao_engine.sampling.run import sample_batch
from dao_engine.sampling.settings import (
    STEP_LR,
    SamplingSettings,
    model_step_lr,
    protocol_step_lr,
    sampling_fields,
)


@dataclass(frozen=True)
class SamplingProgress:
    """``done`` of ``total`` structures sampled, after ``elapsed_s`` seconds."""

    done: int
    total: int
    elapsed_s: float


@dataclass(frozen=True)
class EvaluationRequest(SamplingSettings):
    """What to evaluate. ``dataset`` a registered split (``mp_20/test``); ``limit`` None = the
    whole split, else its first ``limit`` entries or, with ``subset_seed``, a fixed random subset;
    ``batch_size`` structures per padded batch; ``processes`` matching workers; ``out`` None =
    :func:`default_output`. The sampling fields (steps, step_lr, guidance, corrector_rule,
    clip_lattice, seed; keywords only) are :class:`SamplingSettings`'; ``step_lr`` None = the
    dataset's protocol value (:func:`default_step_lr`)."""

    checkpoint: str | None = None
    dataset: str | None = "mp_20/test"
    shots: int = 20
    limit: int | None = None
    subset_seed: int | None = None
    device: str = "auto"
    batch_size: int = 256
    processes: int = 2
    out: str | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()  # the sampling settings
        for name in ("shots", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be ≥ 1 (or None for the whole split), got {self.limit}")
        if self.processes < 0:
            raise ConfigError(f"processes must be ≥ 0, got {self.processes}")


@dataclass(frozen=True)
class EvaluationRun:
    """The protocol's numbers, the JSON record written, and where it was written."""

    result: ProtocolResult
    record: dict[str, Any]
    path: Path


def load_references(
    dataset_name: str, limit: int | None = None, subset_seed: int | None = None
) -> tuple[list[Crystal], str]:
    """Test crystals of a registered split and a note on which were taken: the first ``limit``
    entries, or (``subset_seed`` given) a fixed random subset of ``limit`` entries."""
    from dao_engine.datasets import load_dataset

    if subset_seed is None or limit is None:
        arrays = load_dataset(dataset_name, limit=limit)
        note = "whole split" if limit is None else f"first {len(arrays)} entries of the split"
        return arrays.crystals(), note
    arrays = load_dataset(dataset_name)
    size = min(limit, len(arrays))
    rng = np.random.default_rng(subset_seed)
    chosen = np.sort(rng.choice(len(arrays), size=size, replace=False))
    note = (
        f"random subset of {size} of {len(arrays)} entries, chosen with "
        f"numpy.random.default_rng({subset_seed}).choice(n, size, replace=False), sorted"
    )
    return arrays.subset(chosen).crystals(), note


def default_step_lr(dataset_name: str | None, shots: int, loaded: LoadedModel) -> tuple[float, str]:
    """The protocol's corrector scale for the dataset, else the model's recorded one (or 1e-5),
    and where it came from."""
    family = dataset_family(dataset_name) if dataset_name else None
    step_lr = protocol_step_lr(family, shots)
    if family is None or step_lr is None:
        return model_step_lr(loaded.metadata), "model metadata"
    one_shot = " 1-shot" if step_lr != STEP_LR[family] else ""
    return step_lr, f"{family}{one_shot} default"


def dataset_family(dataset_name: str) -> str:
    """``mp_20/test`` → ``mp_20`` (the name used in result file names)."""
    return dataset_name.split("/")[0]


def _finite_or_none(energies: np.ndarray | None, count: int) -> list[float | None]:
    """Energies (eV/atom) as floats, None where missing or non-finite."""
    if energies is None:
        return [None] * count
    return [float(v) if np.isfinite(v) else None for v in energies]


def _shots(batch: CrystalBatch, energies: Sequence[float | None], labels: Sequence[str]):  # type: ignore[no-untyped-def]
    """Unpad a sampled batch into :class:`Shot` s; a non-finite sample becomes ``Shot(None)``."""
    lattice = batch.lattice.detach().double().cpu().numpy()
    frac = batch.frac.detach().double().cpu().numpy()
    species = batch.species.cpu().numpy()
    out = []
    for b, label in enumerate(labels):
        keep = species[b] > 0
        if not (np.isfinite(lattice[b]).all() and np.isfinite(frac[b][keep]).all()):
            out.append(Shot(None, None))
            continue
        out.append(Shot(Crystal(lattice[b], frac[b][keep], species[b][keep], label), energies[b]))
    return out


def sample_shots_iter(
    loaded: LoadedModel,
    references: Sequence[Crystal],
    shots: int,
    config: SamplingSettings,
    seed: int = 0,
    batch_size: int = 256,
    should_stop: StopCheck | None = None,
) -> Generator[SamplingProgress, None, tuple[list[list[Shot]], float]]:
    """Yield :class:`SamplingProgress` per batch; return the shots as ``[reference][shot]`` and
    the sampling seconds (``shots, seconds = yield from sample_shots_iter(...)``). ``config``
    ``step_lr`` None = the model's; ``seed`` (not ``config.seed``) seeds the one generator that
    all batches draw from; a DAO-P's own energy head gives each shot's energy."""
    if shots < 1 or batch_size < 1:
        raise ConfigError(f"shots and batch_size must be ≥ 1, got {shots} and {batch_size}")
    energy = energy_model_for(loaded, config.guidance)
    generator = torch.Generator(device=loaded.device).manual_seed(seed)
    jobs = sorted(
        ((i, j) for i in range(len(references)) for j in range(shots)),
        key=lambda job: (references[job[0]].num_atoms, job),
    )
    results: list[list[Shot | None]] = [[None] * shots for _ in references]
    started = time.perf_counter()
    for start in range(0, len(jobs), batch_size):
        chunk = jobs[start : start + batch_size]
        species = CrystalBatch.from_species([references[i].species.tolist() for i, _ in chunk])
        species_t = species.species.to(loaded.device)
        sampled = sample_batch(loaded, species_t, config, generator, energy, should_stop)
        batch = sampled.batch
        energies = _finite_or_none(sampled.energies, len(chunk))
        labels = [f"{references[i].label} shot {j + 1}" for i, j in chunk]
        for (i, j), shot in zip(chunk, _shots(batch, energies, labels), strict=True):
            results[i][j] = shot
        yield SamplingProgress(start + len(chunk), len(jobs), time.perf_counter() - started)
    return [[s for s in row if s is not None] for row in results], time.perf_counter() - started


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    names = (
        [ln for ln in info.read_text().splitlines() if ln.startswith("model name")]
        if info.is_file()
        else []
    )
    cpu = names[0].split(":", 1)[1].strip() if names else cpu
    return f"{cpu}, {torch.get_num_threads()} threads"


def _commit() -> str:
    command = ["git", "rev-parse", "--short", "HEAD"]
    try:
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def default_output(loaded: LoadedModel, dataset_name: str | None) -> Path:
    """``benchmarks/results/<model>_<dataset>.json`` under the current directory."""
    dataset = dataset_family(dataset_name) if dataset_name else "references"
    return Path("benchmarks") / "results" / f"{loaded.path.stem}_{dataset}.json"


def evaluate_iter(
    request: EvaluationRequest,
    references: Sequence[Crystal] | None = None,
    should_stop: StopCheck | None = None,
) -> Iterator[SamplingProgress | MatchProgress | EvaluationRun]:
    """Yield sampling and matching progress, then the :class:`EvaluationRun` (JSON written).
    ``references`` replaces the dataset (``request.dataset`` then only names the record)."""
    started = time.perf_counter()
    loaded = get_model(request.checkpoint, request.device)
    refs, subset = _references(request, references)
    lr, lr_source = (
        (request.step_lr, "given")
        if request.step_lr is not None
        else default_step_lr(request.dataset, request.shots, loaded)
    )
    config = replace(request.sampling_settings(), step_lr=lr)
    predictions, sampling_s = yield from sample_shots_iter(
        loaded, refs, request.shots, config, request.seed, request.batch_size, should_stop
    )
    result = yield from _match(refs, predictions, request.processes)
    run = {
        "subset": subset,
        "step_lr": lr,
        "step_lr_source": lr_source,
        "sampling_s": sampling_s,
        "wall_s": time.perf_counter() - started,
    }
    record = build_record(request, loaded, refs, predictions, result, run)
    path = Path(request.out) if request.out else default_output(loaded, request.dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    from dao_engine.io._source import write_text_atomic

    write_text_atomic(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    yield EvaluationRun(result, record, path)


def _references(
    request: EvaluationRequest, references: Sequence[Crystal] | None
) -> tuple[list[Crystal], str]:
    if references is not None:
        refs, subset = list(references), f"{len(references)} given reference crystals"
    elif request.dataset:
        refs, subset = load_references(request.dataset, request.limit, request.subset_seed)
    else:
        raise ConfigError("give a dataset name (e.g. mp_20/test) or a list of reference crystals")
    if not refs:
        raise ConfigError(f"no reference crystals to evaluate ({subset})")
    return refs, subset


def _match(refs, predictions, processes):  # type: ignore[no-untyped-def]
    """Forward matching progress; return the :class:`ProtocolResult`."""
    for event in evaluate_predictions_iter(refs, predictions, processes):
        if isinstance(event, ProtocolResult):
            return event
        yield event
    raise DaoError("the protocol ended without a result")


def build_record(
    request: EvaluationRequest,
    loaded: LoadedModel,
    refs: Sequence[Crystal],
    predictions: Sequence[Sequence[Shot]],
    result: ProtocolResult,
    run: dict[str, Any],
) -> dict[str, Any]:
    """The JSON record: provenance, settings, the protocol's numbers, throughput, and per test
    crystal its id, formula, RMS per shot (None = miss) and predicted energies (eV/atom)."""
    numbers = result.to_dict(per_reference=True)
    per_reference = numbers.pop("per_reference")
    for entry, ref, shots in zip(per_reference, refs, predictions, strict=True):
        entry.update(
            id=ref.label,
            formula=ref.formula(reduced=True),
            atoms=ref.num_atoms,
            energies=[s.energy_per_atom for s in shots],
        )
    notes = list(numbers.pop("notes"))
    too_big = sum(r.num_atoms > loaded.max_atoms for r in refs)
    if too_big:
        notes.append(
            f"{too_big} test crystals have more atoms than the model's max_atoms "
            f"({loaded.max_atoms})"
        )
    sampling_s = run["sampling_s"]
    return {
        "command": request.command or " ".join(sys.argv),
        "commit": _commit(),
        "hardware": _hardware(loaded.device),
        "torch": torch.__version__,
        "device": str(loaded.device),
        "bf16_autocast": loaded.device.type == "cuda",
        "model": str(loaded.path),
        "model_kind": loaded.kind,
        "model_step": loaded.step,
        "train_minutes": loaded.metadata.get("train_minutes"),
        "train_data": loaded.metadata.get("data"),
        "dataset": request.dataset,
        "test_structures": len(refs),
        "subset": run["subset"],
        "shots": request.shots,
        **_sampling_record(request),  # steps, guidance, seed, ... (every sampler setting)
        "step_lr": run["step_lr"],
        "step_lr_source": run["step_lr_source"],
        "batch_size": request.batch_size,
        **numbers,
        "notes": notes,
        "samples_per_s": len(refs) * request.shots / sampling_s if sampling_s > 0 else None,
        "sampling_s": round(sampling_s, 3),
        "wall_s": round(run["wall_s"], 3),
        "per_reference": per_reference,
    }


def _sampling_record(request: EvaluationRequest) -> dict[str, Any]:
    """The request's sampler settings for the record, without the unresolved ``step_lr`` and
    the frame stride (no frames are kept)."""
    fields = sampling_fields(request)
    return {k: v for k, v in fields.items() if k not in ("step_lr", "keep_every")}


def evaluate_checkpoint(
    checkpoint: str | Path | None,
    dataset_name: str | None = "mp_20/test",
    references: Sequence[Crystal] | None = None,
    **settings: Any,
) -> EvaluationRun:
    """Evaluate ``checkpoint`` on ``dataset_name`` (or on ``references``); ``settings`` are the
    other :class:`EvaluationRequest` fields (shots, steps, limit, seed, subset_seed, device,
    step_lr, guidance, batch_size, processes, out, command)."""
    ckpt = None if checkpoint is None else str(checkpoint)
    out = settings.pop("out", None)
    request = EvaluationRequest(
        checkpoint=ckpt, dataset=dataset_name, out=None if out is None else str(out), **settings
    )
    for item in evaluate_iter(request, references):
        if isinstance(item, EvaluationRun):
            return item
    raise DaoError("evaluation ended without a result")
