"""The learning curve of a long training run: validation loss and 1-shot match rate, one JSON line
per measurement appended to a file that grows with the run (across sessions and machines).

Every row: step, structures seen, cumulative training minutes (CPU or GPU, with the hardware),
the mean training loss since the previous row, the validation loss of the EMA weights on a fixed
slice held out of the corpus, and now and then the 1-shot match rate on that slice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dao_engine.crystal.structure import Crystal
from dao_engine.diffusion.joint import JointDiffusion
from dao_engine.evaluation.protocol import ProtocolResult, evaluate_predictions_iter
from dao_engine.evaluation.runner import sample_shots_iter
from dao_engine.models.crysformer import Crysformer
from dao_engine.models.loading import LoadedModel
from dao_engine.sampling import SamplerConfig
from dao_engine.training.data import TrainingSet
from dao_engine.training.losses import csp_loss

#: the validation loss uses its own fixed noise so that rows are comparable
VALIDATION_NOISE_SEED = 20_261_202


@torch.no_grad()
def validation_loss(
    model: Crysformer,
    diffusion: JointDiffusion,
    data: TrainingSet,
    energy_weight: float,
    repeats: int = 4,
    batch_size: int = 100,
) -> dict[str, float]:
    """Mean loss parts of ``model`` (eval mode) over ``repeats`` fixed draws of t and noise for
    every crystal of ``data``; the same weights always give the same numbers."""
    generator = torch.Generator(device=data.lattice.device).manual_seed(VALIDATION_NOISE_SEED)
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    count = 0
    for _ in range(repeats):
        for start in range(0, len(data), batch_size):
            indices = torch.arange(start, min(start + batch_size, len(data)))
            batch, energy = data.gather(indices)
            parts = csp_loss(model, diffusion, batch, generator, energy, energy_weight)
            for key, value in parts.items():
                sums[key] = sums.get(key, 0.0) + float(value) * len(indices)
            count += len(indices)
    model.train(was_training)
    return {key: value / count for key, value in sums.items()}


@dataclass(frozen=True)
class MatchRate:
    """1-shot match rate (%) of ``n`` references, mean RMSE of the matched, validity (%)."""

    match_rate: float
    rmse: float | None
    valid: float
    n: int
    sampling_s: float


def one_shot_match_rate(
    loaded: LoadedModel,
    references: Sequence[Crystal],
    steps: int = 1000,
    step_lr: float = 1e-5,
    seed: int = 0,
    batch_size: int = 32,
) -> MatchRate:
    """Sample one structure per reference (its exact species) and match it with the standard
    StructureMatcher (the CSP protocol); a fixed ``seed`` makes rows comparable. Batches of
    ``batch_size`` crystals of similar size keep the all-pairs padding small."""
    config = SamplerConfig(steps=steps, step_lr=step_lr)
    run = sample_shots_iter(loaded, references, 1, config, seed, batch_size)
    try:
        while True:
            next(run)
    except StopIteration as done:
        predictions, sampling_s = done.value
    result = None
    for event in evaluate_predictions_iter(references, predictions, processes=0):
        if isinstance(event, ProtocolResult):
            result = event
    assert result is not None
    return MatchRate(
        match_rate=round(result.one_shot.match_rate, 3),
        rmse=None if result.one_shot.rmse is None else round(result.one_shot.rmse, 4),
        valid=round(result.validity.both, 2),
        n=len(references),
        sampling_s=round(sampling_s, 1),
    )


class LearningCurve:
    """An append-only JSON-lines file; each :meth:`append` is flushed and fsynced, so a kill
    loses at most the row being written (a torn last line is skipped on reading)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def rows(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def append(self, row: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(row, default=_plain) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
