"""The typed façade between the app (or any script) and the engine.

Everything the GUI needs goes through here: parse compositions, load models, run predictions
as a generator of progress events (cancellable between steps), read and write structures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.composition import default_z, parse_formula, species_for_formula, z_options
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import CheckpointError, ConfigError, DaoError
from dao_engine.events import SampleStep, StopCheck
from dao_engine.io.structure_files import read_structure, read_structures, write_structure
from dao_engine.models.loading import LoadedModel, load_model, resolve_device
from dao_engine.sampling.sampler import PCSampler, SamplerConfig, model_denoiser

__all__ = [
    "Candidate", "DaoError", "PredictProgress", "PredictRequest", "PredictionResult",
    "default_model_path", "default_z", "get_model", "parse_formula", "predict", "predict_iter",
    "read_structure", "read_structures", "species_for_formula", "write_structure", "z_options",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_NAME = "dao-g-default.pt"


def default_model_path() -> Path:
    """The shipped default DAO-G (``$DAO_MODEL`` overrides it)."""
    override = os.environ.get("DAO_MODEL")
    return Path(override) if override else PROJECT_ROOT / "resources" / "models" / DEFAULT_MODEL_NAME


@lru_cache(maxsize=4)
def _cached_model(path: str, device: str) -> LoadedModel:
    return load_model(path, device)


def get_model(checkpoint: str | Path | None = None, device: str = "auto") -> LoadedModel:
    """Load (once per process) a checkpoint, or the shipped default when ``checkpoint`` is None."""
    path = Path(checkpoint) if checkpoint is not None else default_model_path()
    if checkpoint is None and not path.is_file():
        raise CheckpointError(
            f"the shipped default model '{path}' is missing; reinstall, or pass a checkpoint made by 'dao train'"
        )
    return _cached_model(str(path.resolve()), str(resolve_device(device)))


@dataclass(frozen=True)
class PredictRequest:
    """What to predict. ``z`` (formula units) or ``num_atoms`` picks the cell size; neither =
    the formula as written. ``step_lr`` None = the model's recommended value (else 1e-5)."""

    formula: str
    z: int | None = None
    num_atoms: int | None = None
    shots: int = 20
    steps: int = 1000
    guidance: float = 0.0
    seed: int = 0
    device: str = "auto"
    checkpoint: str | None = None
    step_lr: float | None = None
    keep_every: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.shots <= 1000:
            raise ConfigError(f"shots must be between 1 and 1000, got {self.shots}")
        if self.keep_every < 0:
            raise ConfigError(f"keep_every must be ≥ 0, got {self.keep_every}")


@dataclass(frozen=True)
class Candidate:
    """One generated structure. ``energy_per_atom`` is the model's prediction (None for DAO-G)."""

    crystal: Crystal
    shot: int
    energy_per_atom: float | None = None


@dataclass(frozen=True)
class PredictProgress:
    """Progress of a prediction: step of total, seconds so far, estimated seconds left."""

    step: int
    total: int
    elapsed_s: float
    eta_s: float
    energies: list[float] | None = None
    frame: list[Crystal] | None = None


@dataclass(frozen=True)
class PredictionResult:
    """Ranked candidates (lowest predicted energy first when an energy is known, else by shot),
    the per-step energies of every shot, kept frames [(step, crystals)], and timing."""

    request: PredictRequest
    candidates: list[Candidate]
    seconds: float
    model_path: str
    energy_trajectories: list[list[float]] = field(default_factory=list)
    frames: list[tuple[int, list[Crystal]]] = field(default_factory=list)


def _sampler(loaded: LoadedModel, request: PredictRequest) -> PCSampler:
    step_lr = request.step_lr if request.step_lr is not None else float(loaded.metadata.get("step_lr", 1e-5))
    config = SamplerConfig(steps=request.steps, step_lr=step_lr, guidance=request.guidance)
    autocast = loaded.device.type == "cuda"
    return PCSampler(loaded.diffusion, model_denoiser(loaded.model, autocast=autocast), config)


def _frame(event: SampleStep, species: torch.Tensor, formula: str) -> list[Crystal]:
    batch = CrystalBatch(event.lattice, event.frac, species)
    return batch.to_crystals([f"{formula} shot {i + 1}" for i in range(batch.batch_size)])


def predict_iter(request: PredictRequest, should_stop: StopCheck | None = None) -> Iterator[PredictProgress | PredictionResult]:
    """Yield :class:`PredictProgress` per step, then one :class:`PredictionResult`."""
    loaded = get_model(request.checkpoint, request.device)
    atoms = species_for_formula(request.formula, request.z, request.num_atoms, loaded.max_atoms)
    formula = parse_formula(request.formula).reduced()[0].formula
    species = torch.tensor([atoms] * request.shots, device=loaded.device)
    sampler = _sampler(loaded, request)
    generator = torch.Generator(device=loaded.device).manual_seed(request.seed)
    started = time.perf_counter()
    trajectories: list[list[float]] = [[] for _ in range(request.shots)]
    frames: list[tuple[int, list[Crystal]]] = []
    last: SampleStep | None = None
    for event in sampler.iterate(species, generator, should_stop):
        last = event
        energies = None if event.energy is None else event.energy.float().cpu().tolist()
        if energies is not None:
            for traj, e in zip(trajectories, energies):
                traj.append(e)
        frame = None
        if request.keep_every and (event.step % request.keep_every == 0 or event.final):
            frame = _frame(event, species, formula)
            frames.append((event.step, frame))
        elapsed = time.perf_counter() - started
        eta = elapsed / event.step * (event.total - event.step)
        yield PredictProgress(event.step, event.total, elapsed, eta, energies, frame)
    assert last is not None
    crystals = _frame(last, species, formula)
    candidates = [Candidate(c, i + 1) for i, c in enumerate(crystals)]
    yield PredictionResult(
        request, candidates, time.perf_counter() - started, str(loaded.path),
        [t for t in trajectories if t], frames,
    )


def predict(request: PredictRequest, on_progress: Callable[[PredictProgress], None] | None = None) -> PredictionResult:
    """Run a prediction to the end (the CLI's path); ``on_progress`` sees every step."""
    for item in predict_iter(request):
        if isinstance(item, PredictionResult):
            return item
        if on_progress is not None:
            on_progress(item)
    raise DaoError("prediction ended without a result")


# --- Analysis helpers for the desktop app (matching, symmetry, density); see app_support.py ---
from dao_engine import app_support  # noqa: E402
from dao_engine.app_support import (  # noqa: E402
    DEFAULT_SYMPREC,
    MATCHER_TOLERANCES,
    MatchResult,
    SymmetryError,
    available_devices,
    cif_text,
    density,
    duplicate_groups,
    is_plausible,
    match,
    niggli,
    pairwise_matches,
    primitive,
    space_group,
    symmetrized,
    volume_per_atom,
)
from dao_engine.errors import (  # noqa: E402
    CancelledError,
    CompositionError,
    StructureParseError,
)

__all__ += [
    "DEFAULT_SYMPREC", "MATCHER_TOLERANCES", "CancelledError", "CheckpointError",
    "CompositionError", "ConfigError", "Crystal", "MatchResult", "StructureParseError",
    "SymmetryError", "app_support", "available_devices", "cif_text", "density",
    "duplicate_groups", "is_plausible", "match", "niggli", "pairwise_matches", "primitive",
    "space_group", "symmetrized", "volume_per_atom",
]
