"""Input embeddings: element descriptors (CGCNN-style), timestep, and invariant edge features.

Element features follow CGCNN (Xie & Grossman, PRL 2018): each descriptor is one-hot encoded in
bins (categorical ones per value), concatenated into a fixed vector per element. The raw values
come from pymatgen's periodic table and are stored in ``dao_engine/data/element_descriptors.json``
(made by ``packaging/make_element_descriptors.py``), so no pymatgen is needed at run time.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

import torch
from torch import nn

from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER
from dao_engine.errors import ConfigError

# (descriptor, lowest, highest, bins, log-scale) for continuous descriptors, as in CGCNN.
_CONTINUOUS = (
    ("electronegativity", 0.5, 4.0, 10, False),
    ("atomic_radius", 0.25, 2.6, 10, False),
    ("first_ionization_energy", 3.5, 25.0, 10, True),
    ("electron_affinity", -2.0, 3.7, 10, False),
    ("molar_volume", 4.0, 72.0, 10, True),
)
_CATEGORICAL = (("group", 18), ("period", 7), ("valence_electrons", 18))
_BLOCKS = ("s", "p", "d", "f")


def _one_hot_bin(value: float | None, lo: float, hi: float, bins: int, log: bool) -> list[float]:
    """``bins`` one-hot slots plus one 'unknown' slot."""
    out = [0.0] * (bins + 1)
    if value is None:
        out[-1] = 1.0
        return out
    if log:
        value, lo, hi = math.log(value), math.log(lo), math.log(hi)
    position = (value - lo) / (hi - lo) * bins
    out[min(bins - 1, max(0, int(position)))] = 1.0
    return out


def _one_hot_category(value: float | None, size: int) -> list[float]:
    out = [0.0] * (size + 1)
    if value is None or not 1 <= value <= size:
        out[-1] = 1.0
    else:
        out[int(value) - 1] = 1.0
    return out


@lru_cache(maxsize=1)
def element_feature_table() -> torch.Tensor:
    """(MAX_ATOMIC_NUMBER + 1, F) float32; row 0 (padding) is all zeros."""
    text = resources.files("dao_engine.data").joinpath("element_descriptors.json").read_text()
    elements = {e["Z"]: e for e in json.loads(text)["elements"]}
    rows = []
    for z in range(1, MAX_ATOMIC_NUMBER + 1):
        e = elements[z]
        feats: list[float] = []
        for name, size in _CATEGORICAL:
            feats += _one_hot_category(e[name], size)
        for name, lo, hi, bins, log in _CONTINUOUS:
            feats += _one_hot_bin(e[name], lo, hi, bins, log)
        feats += [1.0 if e["block"] == b else 0.0 for b in _BLOCKS]
        rows.append(feats)
    table = torch.tensor(rows, dtype=torch.float32)
    return torch.cat([torch.zeros(1, table.shape[1]), table])


class ElementEmbedding(nn.Module):
    """Atomic number (B, N) → (B, N, width): fixed CGCNN-style features, then a learned linear map."""

    table: torch.Tensor

    def __init__(self, width: int) -> None:
        super().__init__()
        table = element_feature_table()
        self.register_buffer("table", table, persistent=False)
        self.project = nn.Linear(table.shape[1], width)

    def forward(self, species: torch.Tensor) -> torch.Tensor:
        return self.project(self.table[species])


class TimeEmbedding(nn.Module):
    """Sinusoidal embedding of the timestep t ∈ [0, T] (B,) → (B, width), then an MLP."""

    freqs: torch.Tensor

    def __init__(self, width: int, timesteps: int, frequencies: int = 64) -> None:
        super().__init__()
        self.timesteps = timesteps
        freqs = torch.exp(-math.log(10_000.0) * torch.arange(frequencies) / frequencies)
        self.register_buffer("freqs", freqs, persistent=False)
        self.mlp = nn.Sequential(
            nn.Linear(2 * frequencies, width), nn.SiLU(), nn.Linear(width, width)
        )

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        angle = t.float()[:, None] * 1000.0 / self.timesteps * self.freqs[None, :]
        return self.mlp(torch.cat([angle.sin(), angle.cos()], dim=-1))


def lattice_invariants(lattice: torch.Tensor) -> torch.Tensor:
    """Rotation-invariant description of each cell, (B, 3, 3) Å → (B, 7).

    Lengths a, b, c (Å, scaled by 1/10), cosines of α, β, γ, and the cube root of the volume
    (Å, scaled by 1/10). Fed to every atom so the lattice head sees the cell shape directly.
    """
    gram = lattice @ lattice.transpose(1, 2)
    lengths = torch.diagonal(gram, dim1=1, dim2=2).clamp_min(1e-8).sqrt()
    cos = torch.stack(
        [
            gram[:, 1, 2] / (lengths[:, 1] * lengths[:, 2]),
            gram[:, 0, 2] / (lengths[:, 0] * lengths[:, 2]),
            gram[:, 0, 1] / (lengths[:, 0] * lengths[:, 1]),
        ],
        dim=-1,
    )
    volume = torch.det(gram.double()).clamp_min(1e-12).sqrt().to(lattice.dtype)
    return torch.cat([lengths / 10.0, cos, volume[:, None] ** (1 / 3) / 10.0], dim=-1)


def edge_features(
    lattice: torch.Tensor, frac: torch.Tensor, frequencies: int, max_atoms: int | None = None
) -> torch.Tensor:
    """Eq. (5) inputs before normalisation: Gram matrix ‖ Fourier features of f_j − f_i.

    Memory is O(B·N²·K); with ``max_atoms`` a cell of more atoms raises :class:`ConfigError`
    before anything is allocated.

    Args:
        lattice: (B, 3, 3) Å, rows are lattice vectors. Its Gram matrix G = L Lᵀ (Å²) is
            invariant under rotations L → L Qᵀ (row convention; the paper's LᵀL for columns).
        frac: (B, N, 3) fractional coordinates.
        frequencies: K; features are sin/cos(2π k (f_j − f_i)), k = 1 … K, periodic in each
            difference, hence invariant to periodic translations.
    Returns:
        (B, N, N, 6 + 6K): the 6 independent Gram entries (scaled by 1/100 Å²), then Fourier terms.
    """
    if max_atoms is not None and frac.shape[1] > max_atoms:
        raise ConfigError(
            f"a cell of {frac.shape[1]} atoms is too large for this model (at most {max_atoms}: "
            "its pair features grow as the square of the atom count)"
        )
    gram = lattice @ lattice.transpose(1, 2)
    iu = torch.triu_indices(3, 3, device=lattice.device)
    gram_flat = gram[:, iu[0], iu[1]] / 100.0  # (B, 6)
    diff = frac[:, None, :, :] - frac[:, :, None, :]  # (B, N, N, 3): [b, i, j] = f_j − f_i
    k = torch.arange(1, frequencies + 1, device=frac.device, dtype=frac.dtype)
    angle = 2 * math.pi * diff[..., None] * k  # (B, N, N, 3, K)
    fourier = torch.cat([angle.sin(), angle.cos()], dim=-1).flatten(-2)
    b, n = frac.shape[:2]
    return torch.cat([gram_flat[:, None, None, :].expand(b, n, n, 6), fourier], dim=-1)
