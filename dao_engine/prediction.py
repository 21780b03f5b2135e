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
from dao_engine.crystal.plausibility import plausibility_problem
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import CheckpointError, ConfigError, DaoError
from dao_engine.events import SampleStep, StopCheck
from dao_engine.models.loading import LoadedModel, load_model, resolve_device
from dao_engine.relax.validity import check_validity
from dao_engine.sampling.sampler import PCSampler, SamplerConfig, model_denoiser, model_energy
from dao_engine.training.energy import EnergyNormalisation
from dao_engine.validation import check_cell_size, check_sampling_options

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: Where the models shipped with DAO Studio live (listed with their sha256 in MODELS.json).
MODELS_DIR = PROJECT_ROOT / "resources" / "models"
DEFAULT_MODEL_NAME = "dao-p-general-v2-cpu.pt"


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


@dataclass(frozen=True)
class PredictRequest:
    """What to predict. ``z`` (formula units) or ``num_atoms`` picks the cell size; neither =
    the formula as written. ``step_lr`` None = the model's recommended value (else 1e-5).
    ``energy_checkpoint``: a DAO-P for guidance and ranking (None = the generator's own energy
    head, if it has one). ``keep_every`` k > 0 keeps every k-th step's structures as frames."""

    formula: str
    z: int | None = None
    num_atoms: int | None = None
    shots: int = 20
    steps: int = 1000
    guidance: float = 0.0
    seed: int = 0
    device: str = "auto"
    checkpoint: str | None = None
    energy_checkpoint: str | None = None
    step_lr: float | None = None
    keep_every: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.shots <= 1000:
            raise ConfigError(f"shots must be between 1 and 1000, got {self.shots}")
        if self.keep_every < 0:
            raise ConfigError(f"keep_every must be ≥ 0, got {self.keep_every}")
        check_cell_size(self.z, self.num_atoms)
        check_sampling_options(self.steps, self.guidance, self.step_lr, self.seed, self.device)
        parse_formula(self.formula)  # a bad formula is refused here, before any model loads


@dataclass(frozen=True)
class Candidate:
    """One generated structure; ``energy_per_atom`` is the DAO-P prediction (eV/atom) or None;
    ``problem`` is None for a plausible crystal, else why it is not (degenerate or exploded
    cell, atoms closer than their radii allow, volume far from the composition's estimate; see
    :func:`sample_problem`)."""

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


@dataclass(frozen=True)
class _EnergyModel:
    loaded: LoadedModel
    norm: EnergyNormalisation

    def label(self) -> str:
        return f"{self.norm.label} ({self.norm.unit}), predicted by {self.loaded.path.name}"


def _energy_model(generator: LoadedModel, request: PredictRequest) -> _EnergyModel | None:
    loaded = (
        get_model(request.energy_checkpoint, request.device)
        if request.energy_checkpoint
        else generator
    )
    norm = EnergyNormalisation.from_dict(loaded.energy_normalisation)
    if loaded.kind != "dao-p" or loaded.model.energy_head is None or norm is None:
        if request.energy_checkpoint or request.guidance > 0:
            raise ConfigError(
                f"'{loaded.path.name}' is a {loaded.kind.upper()} model without an energy head; "
                "energy guidance and ranking need a DAO-P checkpoint"
            )
        return None
    return _EnergyModel(loaded, norm)


def _sampler(
    loaded: LoadedModel, energy: _EnergyModel | None, request: PredictRequest
) -> PCSampler:
    step_lr = (
        request.step_lr
        if request.step_lr is not None
        else float(loaded.metadata.get("step_lr", 1e-5))
    )
    config = SamplerConfig(steps=request.steps, step_lr=step_lr, guidance=request.guidance)
    cuda = loaded.device.type == "cuda"
    energy_fn = None
    if energy is not None and energy.loaded is not loaded:
        energy_fn = model_energy(energy.loaded.model, autocast=cuda)
    return PCSampler(
        loaded.diffusion, model_denoiser(loaded.model, autocast=cuda), config, energy_fn
    )


def _crystals(
    lattice: torch.Tensor, frac: torch.Tensor, species: torch.Tensor, formula: str
) -> list[Crystal]:
    batch = CrystalBatch(lattice, frac, species)
    return batch.to_crystals([f"{formula} shot {i + 1}" for i in range(batch.batch_size)])


def final_energies(energy: _EnergyModel, batch: CrystalBatch) -> list[float]:
    """Predicted energy per atom (physical unit) of clean structures, at t = 0."""
    t0 = torch.zeros(batch.batch_size, dtype=torch.long, device=batch.device)
    with torch.no_grad():
        out = energy.loaded.model(batch.lattice, batch.frac, batch.species, t0).energy
    return [float(energy.norm.to_physical(float(e))) for e in out.float().cpu()]


def predict_iter(
    request: PredictRequest, should_stop: StopCheck | None = None
) -> Iterator[PredictProgress | PredictionResult]:
    """Yield :class:`PredictProgress` per step, then one :class:`PredictionResult`."""
    loaded = get_model(request.checkpoint, request.device)
    atoms = species_for_formula(request.formula, request.z, request.num_atoms, loaded.max_atoms)
    formula = parse_formula(request.formula).reduced()[0].formula
    energy = _energy_model(loaded, request)
    species = torch.tensor([atoms] * request.shots, device=loaded.device)
    sampler = _sampler(loaded, energy, request)
    generator = torch.Generator(device=loaded.device).manual_seed(request.seed)
    started = time.perf_counter()
    trajectories: list[list[float]] = [[] for _ in range(request.shots)]
    frames: list[tuple[int, list[Crystal]]] = []
    last: SampleStep | None = None
    for event in sampler.iterate(species, generator, should_stop):
        last = event
        energies = None
        if energy is not None and event.energy is not None:
            energies = [
                float(energy.norm.to_physical(float(e))) for e in event.energy.float().cpu()
            ]
            for trajectory, value in zip(trajectories, energies, strict=True):
                trajectory.append(value)
        frame = None
        if request.keep_every and (event.step % request.keep_every == 0 or event.final):
            frame = _crystals(event.lattice, event.frac, species, formula)
            frames.append((event.step, frame))
        elapsed = time.perf_counter() - started
        yield PredictProgress(
            event.step,
            event.total,
            elapsed,
            elapsed / event.step * (event.total - event.step),
            energies,
            frame,
        )
    if last is None:
        raise DaoError("sampling produced no steps")
    yield _result(
        request,
        loaded,
        energy,
        CrystalBatch(last.lattice, last.frac, species),
        formula,
        time.perf_counter() - started,
        trajectories,
        frames,
    )


def sample_problem(crystal: Crystal) -> str | None:
    """None for a plausible sample, else the reason: physical plausibility (degenerate or
    exploded cell, atoms closer than their radii allow, volume far from the composition's; see
    :mod:`dao_engine.crystal.plausibility`), then the benchmark's protocol validity."""
    return plausibility_problem(crystal) or check_validity(crystal)


def _energy_key(energy: float | None) -> float:
    """Sort key: a missing or non-finite energy (eV/atom) ranks last within its group."""
    return energy if energy is not None and energy == energy else float("inf")


def _result(
    request, loaded, energy, batch, formula, seconds, trajectories, frames
) -> PredictionResult:  # type: ignore[no-untyped-def]
    crystals = _crystals(batch.lattice, batch.frac, batch.species, formula)
    values: list[float | None] = (
        list(final_energies(energy, batch)) if energy else [None] * len(crystals)
    )
    candidates = [
        Candidate(c, i + 1, e, sample_problem(c))
        for i, (c, e) in enumerate(zip(crystals, values, strict=True))
    ]
    if energy is not None:  # plausible crystals first, each group by predicted energy
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
        energy.label() if energy else None,
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
