"""Crysformer (§4.2): a graph transformer over all atom pairs of a cell, with noise and energy heads.

Inputs are O(3)- and periodic-translation-invariant (element features, timestep, Gram matrix,
Fourier features of fractional differences), so node features h_i are invariant; the heads give
ε̂_F[i] = φ_F(h_i) (invariant, permutation-equivariant), ε̂_L = φ_L(h̄)·L (row convention, so a
rotation L → L Qᵀ maps ε̂_L → ε̂_L Qᵀ) and energy φ_E(h̄) (invariant).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.errors import ConfigError
from dao_engine.models.embeddings import (
    ElementEmbedding,
    TimeEmbedding,
    edge_features,
    lattice_invariants,
)
from dao_engine.models.layers import CrysformerBlock

#: :attr:`Crysformer.atom_limit` is never below this many atoms per cell.
ATOM_LIMIT_FLOOR = 64


@dataclass(frozen=True)
class CrysformerConfig:
    """Size of the network. The paper's model is 12 layers × 384 wide × 8 heads."""

    num_layers: int = 6
    width: int = 256
    heads: int = 8
    fourier_frequencies: int = 16
    edge_width: int = 128
    ffn_multiplier: int = 2
    timesteps: int = 1000
    max_atoms: int = 64
    energy_head: bool = False

    def __post_init__(self) -> None:
        if self.num_layers < 1 or self.width < 8 or self.heads < 1:
            raise ConfigError(f"invalid Crysformer size: {self}")
        if self.width % self.heads:
            raise ConfigError(f"width {self.width} must be divisible by heads {self.heads}")
        if self.max_atoms < 1:
            raise ConfigError(f"max_atoms must be ≥ 1, got {self.max_atoms}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(values: dict[str, Any]) -> CrysformerConfig:
        known = {k: v for k, v in values.items() if k in CrysformerConfig.__dataclass_fields__}
        return CrysformerConfig(**known)


@dataclass(frozen=True)
class CrysformerOutput:
    """eps_lattice (B, 3, 3); score_frac (B, N, 3) (zero on padding); energy (B,) or None;
    crystal_feature (B, W) the pooled h̄."""

    eps_lattice: torch.Tensor
    score_frac: torch.Tensor
    energy: torch.Tensor | None
    crystal_feature: torch.Tensor


def _mlp(width: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, out))


class Crysformer(nn.Module):
    """The denoiser (and, with ``energy_head=True``, the energy model) of DAO."""

    def __init__(self, config: CrysformerConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or CrysformerConfig()
        self.element = ElementEmbedding(c.width)
        self.time = TimeEmbedding(c.width, c.timesteps)
        self.cell = nn.Sequential(nn.Linear(7, c.width), nn.SiLU(), nn.Linear(c.width, c.width))
        edge_in = 6 + 6 * c.fourier_frequencies
        self.edge_encoder = nn.Sequential(
            nn.LayerNorm(edge_in), nn.Linear(edge_in, c.edge_width), nn.SiLU()
        )
        self.blocks = nn.ModuleList(
            CrysformerBlock(c.width, c.heads, c.edge_width, c.ffn_multiplier)
            for _ in range(c.num_layers)
        )
        self.final_norm = nn.LayerNorm(c.width)
        self.frac_head = _mlp(c.width, 3)
        self.lattice_head = _mlp(c.width, 9)
        self.energy_head = _mlp(c.width, 1) if c.energy_head else None

    @property
    def atom_limit(self) -> int:
        """Most atoms per cell :meth:`forward` accepts: ``max(2 · max_atoms, 64)``. The model is
        trained up to ``max_atoms``; evaluation may extrapolate to somewhat larger test cells
        (the runner notes them), but a huge cell is refused instead of allocating its O(N²)
        pair features (a 2,000-atom cell needs gigabytes)."""
        return max(2 * self.config.max_atoms, ATOM_LIMIT_FLOOR)

    def forward(
        self,
        lattice: torch.Tensor,
        frac: torch.Tensor,
        species: torch.Tensor,
        t: torch.Tensor,
        atom_limit: int | None = None,
    ) -> CrysformerOutput:
        """lattice (B, 3, 3) Å, frac (B, N, 3), species (B, N) int (0 = padding), t (B,) in 0 … T;
        ``atom_limit``: most atoms per cell (default :attr:`atom_limit`; a caller that bounds
        its batches' pair count itself, like the T_c features, may allow more)."""
        mask = species > 0
        maskf = mask[..., None].to(lattice.dtype)
        crystal_input = self.time(t) + self.cell(lattice_invariants(lattice))
        h = self.element(species) + crystal_input[:, None, :]
        features = edge_features(
            lattice, frac, self.config.fourier_frequencies, max_atoms=atom_limit or self.atom_limit
        )
        edges = self.edge_encoder(features)
        for block in self.blocks:
            h = block(h, edges, mask)
        h = self.final_norm(h)
        pooled = (h * maskf).sum(1) / maskf.sum(1).clamp_min(1.0)
        eps_lattice = self.lattice_head(pooled).view(-1, 3, 3) @ lattice
        score = self.frac_head(h) * maskf
        energy = self.energy_head(pooled).squeeze(-1) if self.energy_head is not None else None
        return CrysformerOutput(eps_lattice, score, energy, pooled)

    def forward_batch(
        self, batch: CrystalBatch, t: torch.Tensor, atom_limit: int | None = None
    ) -> CrysformerOutput:
        return self(batch.lattice, batch.frac, batch.species, t, atom_limit)
