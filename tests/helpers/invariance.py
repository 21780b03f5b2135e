"""Reusable symmetry transforms for invariance/equivariance tests (row-vector lattice convention).

Each returns new tensors; none changes global state.
"""

from __future__ import annotations

import torch


def random_orthogonal(
    generator: torch.Generator, reflect: bool = True, dtype=torch.float64
) -> torch.Tensor:
    """A random 3×3 orthogonal matrix Q (det −1 when ``reflect``), from a QR decomposition."""
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=dtype))
    q = q * torch.sign(torch.diagonal(r))
    if reflect != bool(torch.det(q) < 0):
        q = q * torch.tensor([-1.0, 1.0, 1.0], dtype=dtype)
    return q


def rotate_lattice(lattice: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Rows are lattice vectors: each vector v → Q v, i.e. L → L Qᵀ. Fractional coordinates unchanged."""
    return lattice @ q.T.to(lattice.dtype)


def permute_atoms(frac: torch.Tensor, species: torch.Tensor, perm: torch.Tensor):
    """Reorder atoms of every crystal in the batch by ``perm`` (N,)."""
    return frac[:, perm], species[:, perm]


def translate(frac: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Periodic translation: F → w(F + s) for a shift s (3,) applied to all atoms."""
    out = frac + shift.to(frac.dtype)
    return out - torch.floor(out)
