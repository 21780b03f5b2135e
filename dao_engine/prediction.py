"""Prediction: many shots of one composition, with progress, frames, energies and ranking.

The generator is a DAO-G or DAO-P checkpoint; energies come from a DAO-P model (the generator
itself when it has an energy head, or a separate ``energy_checkpoint``). Energies are reported in
the physical unit of the model's label (eV/atom) and name the model that predicted them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.composition import parse_formula, species_for_formula
from dao_engine.crystal.plausibility import MAX_VOLUME_PER_ATOM  # noqa: F401 (re-exported)
from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import candidate_problem
from dao_engine.errors import CheckpointError, ConfigError, DaoError
from dao_engine.events import StopCheck
from dao_engine.models.energy_head import EnergyModel, energy_model_for
from dao_engine.models.loading import LoadedModel, load_model, resolve_device
from dao_engine.sampling.run import SampledBatch, sample_iter
from dao_engine.sampling.settings import SamplingSettings
from dao_engine.validation import check_cell_size, check_device

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: Where the models shipped with DAO Studio live (listed with their sha256 in MODELS.json).
MODELS_DIR = PROJECT_ROOT / "resources" / "models"
DEFAULT_MODEL_NAME = "dao-p-general-v4-cpu.pt"


def default_model_path() -> Path:
    """The shipped default model (``$DAO_MODEL`` overrides it)."""
    override = os.environ.get("DAO_MODEL")
    return Path(override) if override else MODELS_DIR / DEFAULT_MODEL_NAME


@lru_cache(maxsize=4)
def _cached_model(path: str, device: str) -> LoadedModel:
    return load_model(path, device)


MANIFEST_NAME = "MODELS.json"


@lru_cache(maxsize=4)
def verify_shipped_model(path: Path) -> str:
    """Check a shipped model against the sha256 in ``resources/models/MODELS.json``.

    Returns the hash; raises CheckpointError when the file is missing, unlisted or altered.
    """
    manifest_path = path.parent / MANIFEST_NAME
    if not path.is_file():
        raise CheckpointError(
            f"the shipped default model '{path}' is missing; reinstall, or pass a checkpoint made by 'dao train'"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
        expected = manifest["models"][path.name]["sha256"]
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"'{path.name}' is not listed in {manifest_path}; reinstall DAO Studio"
        ) from exc
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise CheckpointError(
            f"the shipped model '{path.name}' is damaged (sha256 {actual[:12]}… ≠ {expected[:12]}…); reinstall DAO Studio"
        )
    return actual


def verify_if_shipped(path: str | Path) -> None:
    """Check a shipped model's sha256 against ``MODELS.json`` (CheckpointError when damaged);
    files outside :data:`MODELS_DIR` are not checked."""
    resolved = Path(path).resolve()
    if resolved.parent == MODELS_DIR.resolve():
        verify_shipped_model(resolved)


def get_model(checkpoint: str | Path | None = None, device: str = "auto") -> LoadedModel:
    """Load (once per process) a checkpoint, or the shipped default when ``checkpoint`` is None."""
    path = Path(checkpoint) if checkpoint is not None else default_model_path()
    if checkpoint is None:
        if not path.is_file():
            raise CheckpointError(
                f"the shipped default model '{path}' is missing; reinstall, or pass a checkpoint made by 'dao train'"
            )
        if "DAO_MODEL" not in os.environ:
            verify_shipped_model(path.resolve())
    return _cached_model(str(path.resolve()), str(resolve_device(device)))


#: Most shots one prediction may ask for.
MAX_SHOTS = 1000


@dataclass(frozen=True)
class PredictRequest(SamplingSettings):
    """What to predict. ``z`` (formula units) or ``num_atoms`` picks the cell size; neither =
    the formula as written. ``energy_checkpoint``: a DAO-P for guidance and ranking (None =
    the generator's own energy head, if it has one). The sampling fields (steps, step_lr,
    guidance, corrector_rule, clip_lattice, keep_every, seed; keywords only) are
    :class:`SamplingSettings`'; ``step_lr`` None = the model's recommended value."""

    formula: str
    z: int | None = None
    num_atoms: int | None = None
    shots: int = 20
    device: str = "auto"
    checkpoint: str | None = None
    energy_checkpoint: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.shots <= MAX_SHOTS:
            raise ConfigError(f"shots must be between 1 and {MAX_SHOTS}, got {self.shots}")
        check_cell_size(self.z, self.num_atoms)
        super().__post_init__()  # the sampling settings
        check_device(self.device)
        parse_formula(self.formula)  # a bad formula is refused here, before any model loads


@dataclass(frozen=True)
class Candidate:
    """One generated structure; ``energy_per_atom`` is the DAO-P prediction (eV/atom) or None;
    ``problem`` is None for a plausible crystal, else why it is not (degenerate or exploded
    cell, atoms closer than their radii allow, volume far from the composition's estimate; see
    :func:`dao_engine.crystal.validity.candidate_problem`)."""

    crystal: Crystal
    shot: int
    energy_per_atom: float | None = None
    problem: str | None = None


@dataclass(frozen=True)
class PredictProgress:
    """Progress: step of total, seconds so far and left; energies (eV/atom) of every shot at
    this step when an energy model is attached; the frame's structures when one was kept."""

    step: int
    total: int
    elapsed_s: float
    eta_s: float
    energies: list[float] | None = None
    frame: list[Crystal] | None = None


@dataclass(frozen=True)
class PredictionResult:
    """Candidates ranked: plausible ones first, each group by predicted energy per atom (lowest
    first) when an energy model is attached, else by shot; per-shot energy trajectories [shot][step] (eV/atom); kept frames
    [(step, crystals by shot)]; ``energy_label`` says which energy and which model."""

    request: PredictRequest
    candidates: list[Candidate]
    seconds: float
    model_path: str
    energy_trajectories: list[list[float]] = field(default_factory=list)
    frames: list[tuple[int, list[Crystal]]] = field(default_factory=list)
    energy_label: str | None = None


def _energy_model(generator: LoadedModel, request: PredictRequest) -> EnergyModel | None:
    """The energy model of a prediction: ``energy_checkpoint`` (which must have an energy head),
    else the generator's own head, if any (required when guidance is asked for)."""
    if request.energy_checkpoint:
        loaded = get_model(request.energy_checkpoint, request.device)
        return energy_model_for(loaded, request.guidance, required=True)
    return energy_model_for(generator, request.guidance)


def _crystals(
    lattice: torch.Tensor, frac: torch.Tensor, species: torch.Tensor, formula: str
) -> list[Crystal]:
    batch = CrystalBatch(lattice, frac, species)
    return batch.to_crystals([f"{formula} shot {i + 1}" for i in range(batch.batch_size)])


def final_energies(energy: EnergyModel, batch: CrystalBatch) -> list[float]:
    """Predicted energy per atom (physical unit) of clean structures, at t = 0."""
    return energy.final_energies(batch).tolist()


def predict_iter(
    request: PredictRequest, should_stop: StopCheck | None = None
) -> Iterator[PredictProgress | PredictionResult]:
    """Yield :class:`PredictProgress` per step, then one :class:`PredictionResult`."""
    loaded = get_model(request.checkpoint, request.device)
    atoms = species_for_formula(request.formula, request.z, request.num_atoms, loaded.max_atoms)
    formula = parse_formula(request.formula).reduced()[0].formula
    energy = _energy_model(loaded, request)
    species = torch.tensor([atoms] * request.shots, device=loaded.device)
    generator = torch.Generator(device=loaded.device).manual_seed(request.seed)
    settings = request.sampling_settings()
    started = time.perf_counter()
    trajectories: list[list[float]] = [[] for _ in range(request.shots)]
    frames: list[tuple[int, list[Crystal]]] = []
    for event in sample_iter(loaded, species, settings, generator, energy, should_stop):
        if isinstance(event, SampledBatch):
            seconds = time.perf_counter() - started
            label = energy.label() if energy else None
            yield _result(request, loaded, label, event, formula, seconds, trajectories, frames)
            return
        energies = event.energies
        if energies is not None:
            for trajectory, value in zip(trajectories, energies, strict=True):
                trajectory.append(value)
        frame = _crystals(event.lattice, event.frac, species, formula) if event.keep_frame else None
        if frame is not None:
            frames.append((event.step, frame))
        elapsed = time.perf_counter() - started
        eta = elapsed / event.step * (event.total - event.step)
        yield PredictProgress(event.step, event.total, elapsed, eta, energies, frame)


def _energy_key(energy: float | None) -> float:
    """Sort key: a missing or non-finite energy (eV/atom) ranks last within its group."""
    return energy if energy is not None and energy == energy else float("inf")


def _result(
    request: PredictRequest,
    loaded: LoadedModel,
    energy_label: str | None,
    sampled: SampledBatch,
    formula: str,
    seconds: float,
    trajectories: list[list[float]],
    frames: list[tuple[int, list[Crystal]]],
) -> PredictionResult:
    """Candidates of a sampled batch, ranked (see :class:`PredictionResult`)."""
    batch = sampled.batch
    crystals = _crystals(batch.lattice, batch.frac, batch.species, formula)
    energies = sampled.energies
    values: list[float | None] = (
        energies.tolist() if energies is not None else [None] * len(crystals)
    )
    candidates = [
        Candidate(c, i + 1, e, candidate_problem(c))
        for i, (c, e) in enumerate(zip(crystals, values, strict=True))
    ]
    if energies is not None:  # plausible crystals first, each group by predicted energy
        candidates.sort(key=lambda c: (c.problem is not None, _energy_key(c.energy_per_atom)))
    else:
        candidates.sort(key=lambda c: c.problem is not None)
    return PredictionResult(
        request,
        candidates,
        seconds,
        str(loaded.path),
        [t for t in trajectories if t],
        frames,
        energy_label,
    )


def predict(
    request: PredictRequest, on_progress: Callable[[PredictProgress], None] | None = None
) -> PredictionResult:
    """Run a prediction to the end (the CLI's path); ``on_progress`` sees every step."""
    for item in predict_iter(request):
        if isinstance(item, PredictionResult):
            return item
        if on_progress is not None:
            on_progress(item)
    raise DaoError("prediction ended without a result")
