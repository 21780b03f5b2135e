"""Relaxing single candidates for callers (CLI, app): DAO-P's energy or CHGNet, one call."""

from __future__ import annotations

from dataclasses import dataclass

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import ConfigError


@dataclass(frozen=True)
class Relaxed:
    """The relaxed crystal, its energies along the way (eV/atom; DAO-P: the model's predicted
    energy label, CHGNet: CHGNet energy per atom), what they are, and a problem or None."""

    crystal: Crystal
    energies: list[float]
    energy_label: str
    problem: str | None
    final_energy: float | None = None

    @property
    def relaxed_energy(self) -> float:
        """Energy of the returned crystal (the best state seen; the last one when not given)."""
        return self.final_energy if self.final_energy is not None else self.energies[-1]


def relax_crystal(
    crystal: Crystal,
    backend: str = "dao",
    checkpoint: str | None = None,
    steps: int = 3,
    device: str = "cpu",
    max_iter: int = 5,
    lr: float = 1.0,
    chgnet_steps: int = 300,
) -> Relaxed:
    """Relax ``crystal`` with ``backend`` "dao" (``steps`` outer L-BFGS steps of ``max_iter``
    iterations at ``lr`` on a DAO-P's energy at t = 0; the shipped model when ``checkpoint`` is
    None) or "chgnet" (up to ``chgnet_steps`` FIRE steps with CHGNet forces and stress)."""
    if backend == "chgnet":
        from dao_engine.relax.chgnet_backend import relax_with_chgnet

        out = relax_with_chgnet(crystal, steps=chgnet_steps)
        label = "CHGNet energy per atom (eV/atom)"
        return Relaxed(out.crystal, out.energies, label, out.invalid, out.energies[-1])
    if backend != "dao":
        raise ConfigError(f"unknown relaxation backend {backend!r}; use 'dao' or 'chgnet'")
    from dao_engine.models.energy_head import energy_normalisation_of
    from dao_engine.prediction import get_model
    from dao_engine.relax import RelaxConfig, relax_with_energy_model
    from dao_engine.sampling import model_energy

    loaded = get_model(checkpoint, device)
    norm = energy_normalisation_of(loaded)
    if norm is None:
        raise ConfigError(
            f"'{loaded.path.name}' has no energy head; relaxation needs a DAO-P model"
        )
    batch = CrystalBatch.from_crystals([crystal]).to(loaded.device)
    config = RelaxConfig(max_iter=max_iter, lr=lr, steps=steps)
    result = relax_with_energy_model(batch, model_energy(loaded.model), config)
    energies = [float(norm.to_physical(float(e[0]))) for e in result.trajectory]
    relaxed = result.crystals[0].with_label(f"{crystal.label} (DAO-P-relaxed)")
    label = f"{norm.label} ({norm.unit}), predicted by {loaded.path.name}"
    final = float(norm.to_physical(float(result.energy_after[0])))
    return Relaxed(relaxed, energies, label, result.invalid[0], final)
