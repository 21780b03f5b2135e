"""Unstable copies of training crystals: random strain, atom displacements, relaxed-toward copies.

The paper's CrysDB mixes stable and unstable crystals so that the energy head sees structures
above the minimum. A *perturbed* copy of crystal (L, F) is

    L' = L (I + ε),    X' = F L' + δ,    F' = wrap(X' L'⁻¹)

with ε a random symmetric strain whose entries lie in [−strain, strain] and δ ~ N(0, σ²) per
Cartesian component (σ = ``displacement``, Å). A *relaxed-toward* copy scales ε and δ by
(1 − toward), i.e. it lies on the straight line from the perturbed copy back to the original
(``toward = 0.5``: halfway). Copies carry no labels: their energy is NaN until a teacher fills it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.errors import ConfigError

#: ``kind`` codes of :class:`PerturbedCopies`.
PERTURBED, RELAXED_TOWARD = 1, 2


@dataclass(frozen=True, eq=False)
class PerturbedCopies:
    """K copies and where they came from.

    Attributes:
        arrays: (K crystals) the copies; energy and labels NaN; ids ``<id>#perturbed<k>`` or
            ``<id>#toward<k>`` (k counts the copies of one original from 0).
        source: (K,) int64 row of each copy's original in the input arrays.
        kind: (K,) int8 :data:`PERTURBED` or :data:`RELAXED_TOWARD`.
        strain: (K, 3, 3) float64 symmetric strain ε applied to the original lattice.
        displacement: (sum N, 3) float64 Cartesian displacement δ of every atom, Å.
    """

    arrays: CrystalArrays
    source: np.ndarray
    kind: np.ndarray
    strain: np.ndarray
    displacement: np.ndarray


def random_symmetric_strain(
    count: int, strain: float, generator: np.random.Generator
) -> np.ndarray:
    """(count, 3, 3) symmetric strains with every entry uniform-ish in [−strain, strain].

    Diagonal entries are uniform; off-diagonal ones are the mean of two uniforms (triangular).
    """
    raw = generator.uniform(-strain, strain, size=(count, 3, 3))
    return 0.5 * (raw + np.swapaxes(raw, 1, 2))


def perturbed_copies(
    arrays: CrystalArrays,
    copies_per_crystal: int,
    *,
    generator: np.random.Generator,
    strain: float = 0.05,
    displacement: float = 0.05,
    toward: float | None = None,
) -> PerturbedCopies:
    """``copies_per_crystal`` perturbed copies of every crystal, plus one relaxed-toward copy
    of each perturbed copy when ``toward`` (fraction of the way back, in (0, 1)) is given.

    Args:
        arrays: M originals.
        strain: largest strain component (dimensionless; 0.05 = ±5 %), in [0, 0.5).
        displacement: σ of the Cartesian atom displacements, Å, ≥ 0.
        generator: the only source of randomness (same seed → same copies).

    Returns:
        First the M·k perturbed copies (each original's k copies together), then, if ``toward``
        is given, the M·k relaxed-toward copies in the same order.
    """
    _check(copies_per_crystal, strain, displacement, generator, toward)
    m, k = len(arrays), copies_per_crystal
    source = np.repeat(np.arange(m, dtype=np.int64), k)
    eps = random_symmetric_strain(len(source), strain, generator)
    base = arrays.subset(source)
    delta = generator.normal(0.0, displacement, size=(len(base.frac), 3))
    kind = np.full(len(source), PERTURBED, dtype=np.int8)
    suffix = [f"#perturbed{c}" for c in range(k)] * m
    if toward is not None:  # the same perturbations scaled by (1 − toward), appended
        scale = 1.0 - toward
        source = np.concatenate([source, source])
        eps = np.concatenate([eps, scale * eps])
        delta = np.concatenate([delta, scale * delta])
        base = CrystalArrays.concatenate([base, base])
        kind = np.concatenate([kind, np.full(len(kind), RELAXED_TOWARD, dtype=np.int8)])
        suffix += [f"#toward{c}" for c in range(k)] * m
    copies = _apply(base, eps, delta, suffix)
    copies.meta.update(
        {
            "perturbation": f"symmetric strain ≤ ±{strain}, Cartesian σ = {displacement} Å"
            + (f", relaxed-toward fraction {toward}" if toward is not None else ""),
        }
    )
    return PerturbedCopies(copies, source, kind, eps, delta)


def _check(
    copies: int, strain: float, displacement: float, generator: object, toward: float | None
) -> None:
    if not isinstance(generator, np.random.Generator):
        raise ConfigError("pass an explicit numpy Generator, e.g. np.random.default_rng(0)")
    if copies < 0:
        raise ConfigError(f"copies_per_crystal must be >= 0, got {copies}")
    if not 0.0 <= strain < 0.5:
        raise ConfigError(f"strain must be in [0, 0.5), got {strain}; 0.05 means ±5 %")
    if not displacement >= 0.0:
        raise ConfigError(f"displacement must be >= 0 Å, got {displacement}")
    if toward is not None and not 0.0 < toward < 1.0:
        raise ConfigError(f"toward must be in (0, 1) or None, got {toward}; 0.5 means halfway back")


def _apply(
    base: CrystalArrays, eps: np.ndarray, delta: np.ndarray, suffix: list[str]
) -> CrystalArrays:
    """Strain ``base`` (rows L → L(I + ε)), displace atoms by δ (Å), wrap; NaN labels."""
    lattice = base.lattice.astype(np.float64) @ (np.eye(3) + eps)
    per_atom = np.repeat(lattice, base.num_atoms, axis=0)  # (sum N, 3, 3)
    cart = np.einsum("ni,nij->nj", base.frac.astype(np.float64), per_atom) + delta
    frac = np.einsum("ni,nij->nj", cart, np.linalg.inv(per_atom))
    return CrystalArrays(
        lattice=lattice,
        frac=frac,  # wrapped to [0, 1) by CrystalArrays
        species=base.species,
        num_atoms=base.num_atoms,
        ids=np.array([f"{i}{s}" for i, s in zip(base.ids, suffix, strict=True)], dtype=str),
        energy=np.full(len(base), np.nan),
        labels={name: np.full(len(base), np.nan) for name in base.labels},
        meta=dict(base.meta),
    )
