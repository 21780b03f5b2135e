"""One road from a model and a batch of compositions to samples and their energies.

``dao predict`` (and the app), ``dao evaluate`` and the GPU job all sample through
:func:`sample_iter`: it resolves the corrector scale, builds the :class:`PCSampler` (bf16
autocast on CUDA, an energy model for guidance), yields a :class:`SampledStep` per reverse step
and finally a :class:`SampledBatch` with the structures and their energies at t = 0 (eV/atom).
It draws from the caller's ``torch.Generator`` in the sampler's order, so several batches
sampled one after another with one generator give the same numbers as before.
No pymatgen here: the GPU job imports this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.errors import DaoError
from dao_engine.events import StopCheck
from dao_engine.models.energy_head import EnergyModel
from dao_engine.models.loading import LoadedModel
from dao_engine.sampling.sampler import PCSampler, SamplerConfig, model_denoiser, model_energy
from dao_engine.sampling.settings import SamplingSettings, model_step_lr, sampling_fields


@dataclass(frozen=True)
class SampledStep:
    """Reverse step ``step`` of ``total`` of a batch of B structures of N (padded) atoms.

    lattice: (B, 3, 3) Å and frac: (B, N, 3) after the step (detached, on the device).
    energy: (B,) the energy model's normalised intermediate energy at this step, or None.
    keep_frame: the settings' ``keep_every`` asks for this step's structures (every k-th step
        and the last one when k > 0).
    """

    step: int
    total: int
    lattice: torch.Tensor
    frac: torch.Tensor
    energy: torch.Tensor | None
    energy_model: EnergyModel | None
    keep_frame: bool

    @property
    def energies(self) -> list[float] | None:
        """The intermediate energies in eV/atom by structure, or None without an energy model."""
        if self.energy is None or self.energy_model is None:
            return None
        return self.energy_model.to_physical(self.energy).tolist()


@dataclass(frozen=True)
class SampledBatch:
    """The samples (``batch``: the final lattice, frac and the input species), ``energies``
    (B,) float64 eV/atom at t = 0 (NaN where non-finite; None without an energy model), and
    the corrector scale ``step_lr`` that was used."""

    batch: CrystalBatch
    energies: np.ndarray | None
    step_lr: float


def sampler_config(loaded: LoadedModel, settings: SamplingSettings) -> SamplerConfig:
    """``settings`` with ``step_lr`` None replaced by the model's recommended value."""
    step_lr = settings.step_lr if settings.step_lr is not None else model_step_lr(loaded.metadata)
    return SamplerConfig(**{**sampling_fields(settings), "step_lr": step_lr})


def build_sampler(
    loaded: LoadedModel,
    config: SamplerConfig,
    energy: EnergyModel | None = None,
    network: torch.nn.Module | None = None,
) -> PCSampler:
    """The sampler for ``loaded`` (bf16 autocast on CUDA). ``network`` replaces
    ``loaded.model`` as the denoiser (e.g. its ``torch.compile`` d copy); an ``energy`` model
    other than the generator supplies the energies and their gradients for guidance."""
    cuda = loaded.device.type == "cuda"
    denoiser = model_denoiser(network if network is not None else loaded.model, autocast=cuda)
    energy_fn = None
    if energy is not None and energy.loaded is not loaded:
        energy_fn = model_energy(energy.loaded.model, autocast=cuda)
    return PCSampler(loaded.diffusion, denoiser, config, energy_fn)


def sample_iter(
    loaded: LoadedModel,
    species: torch.Tensor,
    settings: SamplingSettings,
    generator: torch.Generator,
    energy: EnergyModel | None = None,
    should_stop: StopCheck | None = None,
    network: torch.nn.Module | None = None,
) -> Iterator[SampledStep | SampledBatch]:
    """Sample one batch: a :class:`SampledStep` per reverse step, then one :class:`SampledBatch`.

    ``species`` (B, N) int64 atomic numbers on ``loaded.device`` (0 = padding); ``generator``
    on the same device draws the noise; ``energy`` (see
    :func:`dao_engine.models.energy_head.energy_model_for`) gives energies and guidance;
    ``should_stop`` is checked between steps (CancelledError); ``network``: see
    :func:`build_sampler`. Raises ConfigError for guidance without an energy model.
    """
    config = sampler_config(loaded, settings)
    sampler = build_sampler(loaded, config, energy, network)
    keep = settings.keep_every
    last = None
    for event in sampler.iterate(species, generator, should_stop):
        last = event
        keep_frame = keep > 0 and (event.step % keep == 0 or event.final)
        yield SampledStep(
            event.step, event.total, event.lattice, event.frac, event.energy, energy, keep_frame
        )
    if last is None:
        raise DaoError("sampling produced no steps")
    batch = CrystalBatch(last.lattice, last.frac, species)
    energies = energy.final_energies(batch) if energy is not None else None
    yield SampledBatch(batch, energies, config.step_lr)


def sample_batch(
    loaded: LoadedModel,
    species: torch.Tensor,
    settings: SamplingSettings,
    generator: torch.Generator,
    energy: EnergyModel | None = None,
    should_stop: StopCheck | None = None,
    network: torch.nn.Module | None = None,
) -> SampledBatch:
    """:func:`sample_iter` run to its end (no per-step events): the :class:`SampledBatch`."""
    for event in sample_iter(loaded, species, settings, generator, energy, should_stop, network):
        if isinstance(event, SampledBatch):
            return event
    raise DaoError("sampling ended without a batch")
