"""Predictor–corrector sampling of DAO-G (Algorithm 1; method.md "Sampling").

One step t → t_prev (t_prev < t; a sub-sequence of 1 … T when fewer steps are asked for, with
β = 1 − ᾱ_t/ᾱ_{t_prev}):
  lattice   L' = (L − β/√(1−ᾱ_t) ε̂_L)/√α − s σ'² ∇_L E + σ' ε,      σ'² = β(1−ᾱ_{t_prev})/(1−ᾱ_t)
  predictor F½ = w(F + (σ_t² − σ_p²) ŝ − s σ_p²(σ_t² − σ_p²)/σ_t² ∇_F E + (σ_p/σ_t)√(σ_t² − σ_p²) ε)
  corrector F' = w(F½ + d ŝ' + √(2d) ε'),  ŝ' at (L', F½, t_prev),  d = step_lr (σ_p/σ_1)²
where ŝ = −ε̂_F √λ̄_t is the score (the network predicts the negative score over √λ̄_t).
No noise is added on the last step, and no corrector runs at t_prev = 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.diffusion.joint import JointDiffusion
from dao_engine.diffusion.wrapped_normal import wrap
from dao_engine.errors import CancelledError, ConfigError
from dao_engine.events import SampleStep, StopCheck
from dao_engine.sampling.settings import DEFAULT_STEP_LR, SamplingSettings

#: (lattice (B,3,3), frac (B,N,3), species (B,N), t (B,)) → (ε̂_L (B,3,3), ε̂_F (B,N,3), energy (B,) or None).
Denoiser = Callable[
    [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    tuple[torch.Tensor, torch.Tensor, torch.Tensor | None],
]
#: Same inputs → energy (B,) (differentiable w.r.t. lattice and frac).
EnergyFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True, kw_only=True)
class SamplerConfig(SamplingSettings):
    """:class:`SamplingSettings` with ``step_lr`` resolved to a number: what the sampler runs.

    clip_lattice: clamp the lattice's predicted clean value x̂₀ = (L − √(1−ᾱ) ε̂_L)/√ᾱ to a
        physical range before the DDPM update (x₀ clipping, as DDPM does for images). Without
        clipping the update is the same; with it, the ×1/√α amplification of ε̂_L errors at the
        first steps (β → 0.9999 near T) cannot blow a cell up to 10⁸ Å³.
    ``seed`` and ``keep_every`` are not read here (the caller owns the generator and frames).
    """

    step_lr: float = DEFAULT_STEP_LR


def model_denoiser(model: torch.nn.Module, autocast: bool = False) -> Denoiser:
    """Adapt a Crysformer into a :data:`Denoiser` (optionally under bf16 autocast on CUDA).

    A DAO-P model (with an energy head) also returns its intermediate energy, so the sampler
    gets ε̂ and E from one network call.
    """

    def denoise(lattice: torch.Tensor, frac: torch.Tensor, species: torch.Tensor, t: torch.Tensor):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            out = model(lattice, frac, species, t)
        energy = None if out.energy is None else out.energy.float()
        return out.eps_lattice.to(lattice.dtype), out.score_frac.to(frac.dtype), energy

    return denoise


def model_energy(model: torch.nn.Module, autocast: bool = False) -> EnergyFn:
    """The energy head of a DAO-P model as an :data:`EnergyFn` (normalised units)."""

    def energy(lattice: torch.Tensor, frac: torch.Tensor, species: torch.Tensor, t: torch.Tensor):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            out = model(lattice, frac, species, t)
        if out.energy is None:
            raise ConfigError("this model has no energy head; energy guidance needs a DAO-P model")
        return out.energy.float()

    return energy


def timestep_sequence(total: int, steps: int) -> list[int]:
    """Descending timesteps t_k from T to ≥ 1 (``steps`` of them), followed by 0."""
    if steps > total:
        raise ConfigError(f"steps ({steps}) cannot exceed the model's diffusion length T = {total}")
    ts = torch.linspace(total, 0, steps + 1).round().long().tolist()
    return sorted(set(ts), reverse=True)


class PCSampler:
    """Runs Algorithm 1 on a batch of compositions (many shots = repeated compositions).

    Energy guidance composes with the loop: with strength s > 0 the energy (from ``energy_fn``
    or the denoiser's own energy head) is differentiated at every predictor step and its
    gradient enters the lattice and coordinate updates; s = 0 leaves the trajectory untouched
    (same random draws), while energies are still recorded when available.
    """

    def __init__(
        self,
        diffusion: JointDiffusion,
        denoiser: Denoiser,
        config: SamplerConfig | None = None,
        energy_fn: EnergyFn | None = None,
    ) -> None:
        self.diffusion = diffusion
        self.denoiser = denoiser
        self.config = config or SamplerConfig()
        self.energy_fn = energy_fn

    def initial_state(
        self,
        species: torch.Tensor,
        generator: torch.Generator | None,
        dtype: torch.dtype = torch.float32,
    ) -> CrystalBatch:
        """L_T ~ N(0, I), F_T ~ U(0, 1) for species (B, N) (0 = padding)."""
        b, n = species.shape
        device = species.device
        lattice = torch.randn(b, 3, 3, generator=generator, device=device, dtype=dtype)
        frac = torch.rand(b, n, 3, generator=generator, device=device, dtype=dtype)
        return CrystalBatch(lattice, frac * (species > 0)[..., None], species)

    def iterate(
        self,
        species: torch.Tensor,
        generator: torch.Generator | None = None,
        should_stop: StopCheck | None = None,
    ) -> Iterator[SampleStep]:
        """Yield one :class:`SampleStep` per reverse step; the last one (``final``) is the sample."""
        state = self.initial_state(species, generator)
        ts = timestep_sequence(self.diffusion.timesteps, self.config.steps)
        total = len(ts) - 1
        for k, (t, t_prev) in enumerate(zip(ts[:-1], ts[1:], strict=True), start=1):
            if should_stop is not None and should_stop():
                raise CancelledError(f"sampling cancelled at step {k - 1} of {total}")
            state, energy = self._step(state, t, t_prev, generator)
            yield SampleStep(k, total, t, t_prev, state.lattice, state.frac, energy)

    def sample(
        self, species: torch.Tensor, generator: torch.Generator | None = None
    ) -> CrystalBatch:
        """Run all steps and return the final batch."""
        events = self.iterate(species, generator)
        last = next(events)
        for last in events:  # noqa: B007 (the last event holds the sample)
            pass
        return CrystalBatch(last.lattice, last.frac, species)

    def _evaluate(self, state: CrystalBatch, t_vec: torch.Tensor):
        """ε̂_L, ε̂_F, energy (B,) or None, and ∇_L E, ∇_F E when guidance is on (else None).

        The energy comes from ``energy_fn`` when given, else from the denoiser (a DAO-P model).
        With guidance the gradients of the summed energy give each crystal its own gradient.
        """
        guided = self.config.guidance > 0
        lattice = state.lattice.detach().requires_grad_(guided)
        frac = state.frac.detach().requires_grad_(guided)
        with torch.set_grad_enabled(guided):
            eps_l, eps_f, energy = self.denoiser(lattice, frac, state.species, t_vec)
            if self.energy_fn is not None:
                energy = self.energy_fn(lattice, frac, state.species, t_vec)
            grads: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)
            if guided:
                if energy is None:
                    raise ConfigError("energy guidance (s > 0) needs an energy model (DAO-P)")
                grad_l, grad_f = torch.autograd.grad(
                    energy.sum(), [lattice, frac], allow_unused=True
                )
                grads = (  # an energy that ignores one input has zero gradient there
                    torch.zeros_like(lattice) if grad_l is None else grad_l,
                    torch.zeros_like(frac) if grad_f is None else grad_f,
                )
        energy = None if energy is None else energy.detach()
        return eps_l.detach(), eps_f.detach(), energy, grads[0], grads[1]

    def _step(self, state: CrystalBatch, t: int, t_prev: int, generator: torch.Generator | None):
        dtype, device = state.lattice.dtype, state.lattice.device
        b = state.batch_size
        mask = state.mask[..., None].to(dtype)
        sched_l, sched_f = self.diffusion.lattice_schedule, self.diffusion.sigma_schedule
        ab_t, ab_p = float(sched_l.alpha_bars[t]), float(sched_l.alpha_bars[t_prev])
        beta = min(1 - ab_t / ab_p, 0.9999)
        alpha = 1 - beta
        post_var = beta * (1 - ab_p) / (1 - ab_t)
        sig_t, sig_p, sig_1 = (float(sched_f.sigmas[i]) for i in (t, t_prev, 1))
        s = self.config.guidance
        t_vec = torch.full((b,), t, device=device, dtype=torch.long)

        eps_l, eps_f, energy, grad_l, grad_f = self._evaluate(state, t_vec)
        with torch.no_grad():
            score = -eps_f * float(sched_f.lambda_bar[t]) ** 0.5
            last = t_prev == 0
            noise_l = (
                torch.zeros_like(eps_l) if last else self._randn(eps_l.shape, generator, state)
            )
            lattice = self._lattice_mean(state, eps_l, ab_t, ab_p, alpha, beta)
            lattice = lattice + post_var**0.5 * noise_l
            jump = sig_t**2 - sig_p**2
            noise_f = self._randn(state.frac.shape, generator, state)
            frac = state.frac + jump * score + (sig_p / sig_t) * jump**0.5 * noise_f
            if grad_l is not None and grad_f is not None:
                lattice = lattice - s * post_var * grad_l
                frac = frac - s * sig_p**2 * jump / sig_t**2 * grad_f
            frac = wrap(frac) * mask
            if not last:
                frac = self._correct(
                    CrystalBatch(lattice, frac, state.species), t_prev, sig_p, sig_1, generator
                )
        return CrystalBatch(lattice, frac * mask, state.species), energy

    def _lattice_mean(
        self, state: CrystalBatch, eps_l, ab_t: float, ab_p: float, alpha: float, beta: float
    ):
        """DDPM posterior mean of L_{t_prev}: (L − β/√(1−ᾱ_t) ε̂)/√α, written through x̂₀ so
        that x̂₀ can be clamped to ±max(12 Å, 2.5·(100 Å³·N)^(1/3)) per crystal."""
        lattice = state.lattice
        if not self.config.clip_lattice:
            return (lattice - beta / (1 - ab_t) ** 0.5 * eps_l) / alpha**0.5
        x0 = (lattice - (1 - ab_t) ** 0.5 * eps_l) / ab_t**0.5
        n_atoms = state.num_atoms.to(lattice.dtype).clamp_min(1.0)
        bound = (2.5 * (100.0 * n_atoms) ** (1 / 3)).clamp_min(12.0)[:, None, None]
        x0 = torch.maximum(torch.minimum(x0, bound), -bound)
        coef_x0 = ab_p**0.5 * beta / (1 - ab_t)
        coef_lt = alpha**0.5 * (1 - ab_p) / (1 - ab_t)
        return coef_x0 * x0 + coef_lt * lattice

    def _correct(self, state: CrystalBatch, t_prev: int, sig_p: float, sig_1: float, generator):
        """One Langevin corrector step at t_prev."""
        if self.config.corrector_rule == "diffcsp":
            d = self.config.step_lr * (sig_p / sig_1) ** 2
        else:
            d = self.config.step_lr * sig_p / sig_1
        if d == 0:
            return state.frac
        t_vec = torch.full((state.batch_size,), t_prev, device=state.device, dtype=torch.long)
        with torch.no_grad():
            _, eps_f, _ = self.denoiser(state.lattice, state.frac, state.species, t_vec)
        score = -eps_f * float(self.diffusion.sigma_schedule.lambda_bar[t_prev]) ** 0.5
        noise = self._randn(state.frac.shape, generator, state)
        return wrap(state.frac + d * score + (2 * d) ** 0.5 * noise)

    @staticmethod
    def _randn(shape, generator: torch.Generator | None, like: CrystalBatch) -> torch.Tensor:
        return torch.randn(shape, generator=generator, device=like.device, dtype=like.lattice.dtype)
