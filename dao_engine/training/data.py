"""Training data on the device as flat tensors, gathered into padded, size-bucketed batches.

Crystals of similar atom counts are batched together so padding wastes little work: indices are
sorted by atom count (ties broken at random each epoch), cut into batches, and the batch order is
shuffled. Gathering is vectorised, so a whole epoch runs without Python loops over atoms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import DatasetError


class TrainingSet:
    """Flat arrays of M crystals.

    lattice (M, 3, 3) Å; frac (ΣN, 3); species (ΣN,); num_atoms (M,); energy (M,) or None
    (per-atom energy label, NaN where missing).
    """

    def __init__(
        self,
        lattice: np.ndarray,
        frac: np.ndarray,
        species: np.ndarray,
        num_atoms: np.ndarray,
        energy: np.ndarray | None = None,
    ) -> None:
        num_atoms = np.asarray(num_atoms, dtype=np.int64)
        if len(num_atoms) == 0:
            raise DatasetError("the training set is empty")
        if int(num_atoms.sum()) != len(frac) or len(frac) != len(species):
            raise DatasetError(
                "training arrays disagree: sum(num_atoms) must equal the number of atoms"
            )
        self.lattice = torch.as_tensor(np.asarray(lattice, dtype=np.float32))
        self.frac = torch.as_tensor(np.asarray(frac, dtype=np.float32))
        self.species = torch.as_tensor(np.asarray(species, dtype=np.int64))
        self.num_atoms = torch.as_tensor(num_atoms)
        self.num_atoms_host = self.num_atoms.clone()  # CPU copy: batch widths without a GPU sync
        self.rank, self.world_size = 0, 1
        self.offsets = torch.cumsum(self.num_atoms, 0) - self.num_atoms
        self.energy = (
            None if energy is None else torch.as_tensor(np.asarray(energy, dtype=np.float32))
        )

    def __len__(self) -> int:
        return int(len(self.num_atoms))

    @property
    def max_atoms(self) -> int:
        return int(self.num_atoms.max())

    @staticmethod
    def from_crystals(crystals: Sequence[Crystal], energy_key: str | None = None) -> TrainingSet:
        energy = None
        if energy_key is not None:
            energy = np.array(
                [c.properties.get(energy_key, np.nan) for c in crystals], dtype=np.float32
            )
        return TrainingSet(
            np.stack([c.lattice for c in crystals]),
            np.concatenate([c.frac for c in crystals]),
            np.concatenate([c.species for c in crystals]),
            np.array([c.num_atoms for c in crystals]),
            energy,
        )

    def fingerprint(self) -> str:
        """sha256 (first 16 hex digits) over the arrays; stored in checkpoints."""
        h = hashlib.sha256()
        for t in (self.lattice, self.frac, self.species, self.num_atoms):
            h.update(t.numpy().tobytes())
        return h.hexdigest()[:16]

    def to(self, device: torch.device | str) -> TrainingSet:
        out = object.__new__(TrainingSet)
        for name in ("lattice", "frac", "species", "num_atoms", "offsets"):
            setattr(out, name, getattr(self, name).to(device))
        out.num_atoms_host = self.num_atoms_host
        out.rank, out.world_size = self.rank, self.world_size
        out.energy = None if self.energy is None else self.energy.to(device)
        return out

    def gather(
        self, indices: torch.Tensor, pad_multiple: int = 1
    ) -> tuple[CrystalBatch, torch.Tensor | None]:
        """Padded batch of crystals ``indices`` (B,) and their energies (B,) if present."""
        host = getattr(self, "num_atoms_host", None)
        if host is not None and indices.device.type == "cpu":
            width = int(host[indices].max())  # read on the host: no device sync
        else:
            width = int(self.num_atoms[indices.to(self.num_atoms.device)].max())
        indices = indices.to(self.num_atoms.device, non_blocking=True)
        n = self.num_atoms[indices]
        width = -(-width // pad_multiple) * pad_multiple
        slots = torch.arange(width, device=n.device)
        present = slots[None, :] < n[:, None]
        flat = (self.offsets[indices][:, None] + slots[None, :]).clamp_max(len(self.species) - 1)
        species = torch.where(present, self.species[flat], torch.zeros_like(flat))
        frac = self.frac[flat] * present[..., None]
        energy = None if self.energy is None else self.energy[indices]
        return CrystalBatch(self.lattice[indices], frac, species), energy

    def shard(self, rank: int, world_size: int) -> TrainingSet:
        """This set for data-parallel rank ``rank`` of ``world_size``: same arrays, but
        :meth:`epoch_batches` yields only every ``world_size``-th batch (a disjoint shard)."""
        if not 0 <= rank < world_size:
            raise DatasetError(f"rank {rank} is outside 0 … {world_size - 1}")
        out = self.to(self.num_atoms.device)
        out.rank, out.world_size = rank, world_size
        return out

    def batches_per_epoch(self, batch_size: int) -> int:
        """How many batches :meth:`epoch_batches` yields (for this rank when sharded)."""
        batches = -(-len(self) // batch_size)
        world = getattr(self, "world_size", 1)
        return batches // world if world > 1 else batches

    def epoch_batches(self, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
        """Index batches (B,) of one epoch, each holding crystals of similar size (CPU int64).

        Sharded (:meth:`shard`), every rank draws the same permutation (same generator seed) and
        takes batches ``rank, rank + W, …``; all ranks get equally many (the rest are dropped),
        so data-parallel steps stay in lockstep.
        """
        m = len(self)
        jitter = torch.rand(m, generator=generator)
        order = torch.argsort(self.num_atoms_host.double() + jitter)
        batches = list(torch.split(order, batch_size))
        perm = torch.randperm(len(batches), generator=generator).tolist()
        rank, world = getattr(self, "rank", 0), getattr(self, "world_size", 1)
        if world > 1:
            per_rank = len(perm) // world
            if per_rank == 0:
                raise DatasetError(
                    f"{m} crystals make {len(perm)} batches of {batch_size}, fewer than the "
                    f"{world} ranks; lower the batch size"
                )
            perm = perm[rank : per_rank * world : world]
        for k in perm:
            yield batches[k]


def training_set_from_arrays(arrays) -> TrainingSet:  # type: ignore[no-untyped-def]
    """Build a :class:`TrainingSet` from a ``CrystalArrays`` (or anything with the same columns)."""
    return TrainingSet(arrays.lattice, arrays.frac, arrays.species, arrays.num_atoms, arrays.energy)
