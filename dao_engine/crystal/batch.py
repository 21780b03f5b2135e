"""Padded batches of crystals as dense tensors, so the denoiser runs dense attention on a GPU.

Shapes: B crystals, at most N atoms each.
    lattice   (B, 3, 3)  Å, rows are lattice vectors
    frac      (B, N, 3)  fractional coordinates in [0, 1); padded rows are 0
    species   (B, N)     int64 atomic numbers; 0 marks padding
    mask      (B, N)     bool, True for real atoms
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from dao_engine.crystal.structure import Crystal


@dataclass(frozen=True)
class CrystalBatch:
    """A padded batch; see the module docstring for shapes and units."""

    lattice: torch.Tensor
    frac: torch.Tensor
    species: torch.Tensor

    @property
    def mask(self) -> torch.Tensor:
        """(B, N) bool, True where an atom is present."""
        return self.species > 0

    @property
    def num_atoms(self) -> torch.Tensor:
        """(B,) int64 number of atoms per crystal."""
        return self.mask.sum(dim=1)

    @property
    def batch_size(self) -> int:
        return int(self.lattice.shape[0])

    @property
    def device(self) -> torch.device:
        return self.lattice.device

    def to(self, device: torch.device | str) -> CrystalBatch:
        return CrystalBatch(self.lattice.to(device), self.frac.to(device), self.species.to(device))

    def replace(
        self, lattice: torch.Tensor | None = None, frac: torch.Tensor | None = None
    ) -> CrystalBatch:
        """A batch with the same species and new lattice and/or coordinates."""
        return CrystalBatch(
            self.lattice if lattice is None else lattice,
            self.frac if frac is None else frac,
            self.species,
        )

    @staticmethod
    def from_crystals(
        crystals: Sequence[Crystal], pad_to: int | None = None, dtype: torch.dtype = torch.float32
    ) -> CrystalBatch:
        """Stack crystals into one padded batch (padding to the largest, or to ``pad_to`` atoms)."""
        n_max = max(c.num_atoms for c in crystals)
        if pad_to is not None:
            n_max = max(n_max, pad_to)
        b = len(crystals)
        frac = np.zeros((b, n_max, 3))
        species = np.zeros((b, n_max), dtype=np.int64)
        lattice = np.stack([c.lattice for c in crystals])
        for i, c in enumerate(crystals):
            frac[i, : c.num_atoms] = c.frac
            species[i, : c.num_atoms] = c.species
        return CrystalBatch(
            torch.as_tensor(lattice, dtype=dtype),
            torch.as_tensor(frac, dtype=dtype),
            torch.as_tensor(species),
        )

    @staticmethod
    def from_species(
        species_lists: Sequence[Sequence[int]], dtype: torch.dtype = torch.float32
    ) -> CrystalBatch:
        """A batch with the given compositions and zero lattice/coordinates (a sampler's input)."""
        n_max = max(len(s) for s in species_lists)
        species = torch.zeros(len(species_lists), n_max, dtype=torch.int64)
        for i, s in enumerate(species_lists):
            species[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.int64)
        b = len(species_lists)
        return CrystalBatch(
            torch.zeros(b, 3, 3, dtype=dtype), torch.zeros(b, n_max, 3, dtype=dtype), species
        )

    def to_crystals(self, labels: Sequence[str] | None = None) -> list[Crystal]:
        """Unpad into a list of :class:`Crystal` (float64 NumPy, on the CPU)."""
        lattice = self.lattice.detach().double().cpu().numpy()
        frac = self.frac.detach().double().cpu().numpy()
        species = self.species.detach().cpu().numpy()
        out = []
        for i in range(self.batch_size):
            keep = species[i] > 0
            label = labels[i] if labels is not None else f"crystal {i}"
            out.append(Crystal(lattice[i], frac[i][keep], species[i][keep], label))
        return out
