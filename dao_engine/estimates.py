"""Time estimates before a job starts: sampling from a short calibration on this machine,
relaxation from measured CHGNet costs.

Sampling: one reverse step of a batch of ``shots`` structures with ``atoms`` atoms costs
``overhead_s + per_pair_s × shots × atoms²`` seconds (Crysformer attends over all atom pairs, so
the pair term dominates large cells; the overhead is the fixed per-step cost of a few hundred
small operators). :func:`calibrate_sampling` times a few steps of the real sampler at two cell
sizes and fits both numbers (the median of three short runs per size, as a busy CPU is uneven;
a few seconds on one CPU thread, in the background).

Relaxation: CHGNet FIRE costs about :data:`CHGNET_S_PER_ATOM_STEP` seconds per atom per step on
one thread of a 2-core CPU with another busy process beside it, and a relaxation of a generated
or library candidate takes about :data:`CHGNET_TYPICAL_STEPS` steps (the step cap when lower).
Both are medians measured by ``benchmarks/job_estimates.py`` (``benchmarks/results/
job_estimates.json``: 0.0091–0.0116 s per atom-step, FIRE steps median 42 over 74 relaxations);
the first relaxation of a session also loads CHGNet (a few seconds more).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

#: CHGNet FIRE, one CPU thread: seconds per atom per optimiser step (measured, see module doc)
CHGNET_S_PER_ATOM_STEP = 0.010
#: steps a CHGNet relaxation of a generated candidate typically takes before fmax is reached
CHGNET_TYPICAL_STEPS = 42
#: cell sizes (atoms) and batch the calibration times
_CALIBRATION_ATOMS = (4, 16)
_CALIBRATION_SHOTS = 8
_CALIBRATION_REPEATS = 3
_CALIBRATION_STEPS = 4  # the first one warms up and is not timed


@dataclass(frozen=True)
class SamplingCost:
    """Per-step cost of reverse diffusion: ``overhead_s + per_pair_s × shots × atoms²`` (s)."""

    overhead_s: float
    per_pair_s: float

    def step_seconds(self, shots: int, atoms: int) -> float:
        """Seconds of one reverse step for ``shots`` structures of ``atoms`` atoms."""
        return self.overhead_s + self.per_pair_s * shots * atoms * atoms

    def seconds(self, shots: int, steps: int, atoms: int) -> float:
        """Seconds of a whole sampling run."""
        return steps * self.step_seconds(shots, atoms)


@dataclass(frozen=True)
class JobEstimate:
    """Estimated seconds of a prediction job's two phases (``relax_s`` 0 when it relaxes
    nothing)."""

    sampling_s: float
    relax_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.sampling_s + self.relax_s


def relax_seconds(candidates: int, atoms: int, max_steps: int) -> float:
    """Estimated CHGNet relaxation time of ``candidates`` cells of ``atoms`` atoms (s)."""
    steps = min(max_steps, CHGNET_TYPICAL_STEPS)
    return candidates * atoms * steps * CHGNET_S_PER_ATOM_STEP


def estimate_job(
    cost: SamplingCost,
    shots: int,
    steps: int,
    atoms: int,
    relax_candidates: int = 0,
    relax_steps: int = 0,
) -> JobEstimate:
    """Both phases of a prediction: ``shots × steps`` sampling of ``atoms``-atom cells, then a
    CHGNet relaxation of ``relax_candidates`` candidates capped at ``relax_steps`` (0 = none)."""
    relax = relax_seconds(relax_candidates, atoms, relax_steps) if relax_steps > 0 else 0.0
    return JobEstimate(cost.seconds(shots, steps, atoms), relax)


def _time_steps(checkpoint: str | None, device: str, atoms: int) -> float:
    """Seconds per reverse step of the real sampler: the median over a few short runs of
    their mean step time (each run's first step not timed)."""
    import torch

    from dao_engine.prediction import get_model
    from dao_engine.sampling.run import build_sampler
    from dao_engine.sampling.sampler import SamplerConfig

    loaded = get_model(checkpoint, device)
    sampler = build_sampler(loaded, SamplerConfig(steps=_CALIBRATION_STEPS))  # as a prediction
    species = torch.full((_CALIBRATION_SHOTS, atoms), 11, device=loaded.device)
    generator = torch.Generator(device=loaded.device).manual_seed(0)
    times = []
    for _ in range(_CALIBRATION_REPEATS):  # the median of a few runs: a busy CPU is uneven
        events = sampler.iterate(species, generator)
        next(events)
        started = time.perf_counter()
        count = sum(1 for _ in events)
        times.append((time.perf_counter() - started) / max(count, 1))
    return sorted(times)[len(times) // 2]


@lru_cache(maxsize=8)
def calibrate_sampling(checkpoint: str | None = None, device: str = "cpu") -> SamplingCost:
    """Time the sampler of ``checkpoint`` (None = the shipped default) on ``device`` at two cell
    sizes and fit :class:`SamplingCost` (cached per model and device for this process)."""
    small, large = _CALIBRATION_ATOMS
    t_small = _time_steps(checkpoint, device, small)
    t_large = _time_steps(checkpoint, device, large)
    pairs = _CALIBRATION_SHOTS * (large * large - small * small)
    per_pair = max((t_large - t_small) / pairs, 0.0)
    overhead = max(t_small - per_pair * _CALIBRATION_SHOTS * small * small, 0.0)
    return SamplingCost(overhead, per_pair)
