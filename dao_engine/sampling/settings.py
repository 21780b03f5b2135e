"""The sampler's settings, written once: defaults, ranges, and the corrector scale to use.

Every path that samples (``dao predict`` and the app, ``dao evaluate``, the GPU job) takes a
:class:`SamplingSettings` (its request types derive from it), and the CLI adds the same flags
for it (:mod:`dao_engine.cli.sampling_options`). A new sampler option is a field here, its use in
:mod:`dao_engine.sampling.sampler`, and its flag in :mod:`dao_engine.cli.sampling_options`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from dao_engine.errors import ConfigError
from dao_engine.validation import check_int, check_number, check_seed

#: Reverse diffusion steps by default: the full schedule T = 1000, as in the paper.
DEFAULT_STEPS = 1000
#: Most reverse steps accepted (more than T only repeats timesteps; the sampler refuses > T).
MAX_STEPS = 100_000
#: Largest energy-guidance strength s accepted.
MAX_GUIDANCE = 1e4
#: Langevin corrector scale γ when neither the caller nor the model says otherwise.
DEFAULT_STEP_LR = 1e-5
#: "diffcsp" d = γ(σ_p/σ_1)², "paper" d = γ σ_p/σ_1 (as printed in Algorithm 1).
CORRECTOR_RULES = ("diffcsp", "paper")
#: The CSP protocol's corrector scale γ per dataset family (DiffCSP's values).
STEP_LR = {"perov_5": 5e-7, "carbon_24": 5e-7, "mp_20": 1e-5, "mpts_52": 1e-5}
#: carbon_24 uses a larger γ for one shot (DiffCSP).
CARBON_ONE_SHOT_STEP_LR = 5e-6


@dataclass(frozen=True, kw_only=True)
class SamplingSettings:
    """How to sample; checked when made (ConfigError naming the value).

    steps: reverse steps, 1 … MAX_STEPS (≤ the model's T, checked when sampling).
    step_lr: Langevin corrector scale γ in (0, 1]; None = the caller's recommendation (the
        model's recorded value for a prediction, the protocol's for an evaluation).
    guidance: energy-guidance strength s in [0, MAX_GUIDANCE] (0 = unguided; > 0 needs an
        energy head).
    corrector_rule: one of :data:`CORRECTOR_RULES`.
    clip_lattice: clamp the lattice's predicted clean value x̂₀ before each DDPM update.
    keep_every: k > 0 keeps every k-th step's structures (and the last) as frames; 0 = none.
    seed: seed of the ``torch.Generator`` that draws the noise, 0 … 2⁶³ − 1.
    """

    steps: int = DEFAULT_STEPS
    step_lr: float | None = None
    guidance: float = 0.0
    corrector_rule: str = "diffcsp"
    clip_lattice: bool = True
    keep_every: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("steps", self.steps, 1, MAX_STEPS)
        check_number("guidance", self.guidance, 0.0, MAX_GUIDANCE)
        if self.step_lr is not None:
            check_number("step_lr", self.step_lr, 0.0, 1.0, low_inclusive=False)
        check_seed(self.seed)
        if self.corrector_rule not in CORRECTOR_RULES:
            raise ConfigError(
                f"corrector_rule must be 'diffcsp' or 'paper', got {self.corrector_rule!r}"
            )
        if not isinstance(self.clip_lattice, bool):
            raise ConfigError(f"clip_lattice must be True or False, got {self.clip_lattice!r}")
        if isinstance(self.keep_every, bool) or not isinstance(self.keep_every, int):
            raise ConfigError(f"keep_every must be a whole number, got {self.keep_every!r}")
        if self.keep_every < 0:
            raise ConfigError(f"keep_every must be ≥ 0, got {self.keep_every}")

    def sampling_settings(self) -> SamplingSettings:
        """Only the sampling part of a request derived from this class."""
        return SamplingSettings(**sampling_fields(self))


def sampling_fields(settings: SamplingSettings) -> dict[str, Any]:
    """The :class:`SamplingSettings` fields of ``settings`` (or of a request derived from it)
    by name, to pass on as keywords."""
    return {f.name: getattr(settings, f.name) for f in fields(SamplingSettings)}


def protocol_step_lr(family: str | None, shots: int) -> float | None:
    """The CSP protocol's corrector scale for a dataset family (``mp_20``), None when the
    family has none."""
    if family == "carbon_24" and shots == 1:
        return CARBON_ONE_SHOT_STEP_LR
    return STEP_LR.get(family) if family else None


def model_step_lr(metadata: dict[str, Any]) -> float:
    """The corrector scale a checkpoint recommends (its metadata's ``step_lr``), else
    :data:`DEFAULT_STEP_LR`."""
    return float(metadata.get("step_lr", DEFAULT_STEP_LR))
