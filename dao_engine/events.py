"""Typed events that long-running engine work yields, so callers can show progress and cancel.

The CLI consumes a generator to the end; the GUI runs it in a worker thread and forwards each
event to the GUI thread. Cancellation is cooperative: a caller stops consuming (``close()`` on
the generator) or passes a ``should_stop`` callback that is checked between steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

#: A callback checked between steps; returning True cancels the work (raises CancelledError).
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class SampleStep:
    """One reverse-diffusion step t → t_prev of a batch of shots.

    Attributes:
        step: 1-based index of this step; ``total`` steps in all.
        t: timestep before the step; ``t_prev`` after it (0 means the sample is final).
        lattice: (B, 3, 3) Å after the step (detached, on the sampling device).
        frac: (B, N, 3) fractional coordinates after the step.
        energy: (B,) predicted intermediate energy at t (normalised units of the energy model),
            or None when no energy model is attached.
    """

    step: int
    total: int
    t: int
    t_prev: int
    lattice: torch.Tensor
    frac: torch.Tensor
    energy: torch.Tensor | None = None

    @property
    def final(self) -> bool:
        return self.t_prev == 0


@dataclass(frozen=True)
class TrainEvent:
    """Progress of training after an optimiser step.

    Attributes:
        step: optimiser steps done; total_steps planned.
        epoch: fractional epochs done.
        loss: mean total loss over the last logging window; parts holds its components.
        lr: current learning rate.
        structures_per_s: training throughput over the window.
        eta_s: estimated seconds to finish.
    """

    step: int
    total_steps: int
    epoch: float
    loss: float
    parts: dict[str, float]
    lr: float
    structures_per_s: float
    eta_s: float
    checkpoint: str | None = None
