"""DAO-P's crystal feature (the pooled h̄ of Eq. 9 at t = 0) for the T_c head."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.models.crysformer import Crysformer

#: Atom budget of one forward pass (sum over a batch of N², so large cells go in small batches).
PAIR_BUDGET = 40_000


def _batches_by_size(sizes: Sequence[int], pair_budget: int) -> list[list[int]]:
    """Group indices (sorted by atom count) so each batch has ≤ pair_budget padded pairs."""
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    groups: list[list[int]] = []
    current: list[int] = []
    for i in order:
        n = sizes[i]
        if current and (len(current) + 1) * n * n > pair_budget:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


@torch.no_grad()
def crystal_features(
    model: Crysformer,
    crystals: Sequence[Crystal],
    pair_budget: int = PAIR_BUDGET,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(M, W) float32 crystal features of ``model`` (width W) for clean crystals (t = 0).

    The feature is the masked mean of the final-normed atom embeddings; it is invariant to
    rotations, permutations and periodic translations, like the network. ``progress(done, total)``
    is called after each batch.
    """
    if not crystals:
        return np.zeros((0, model.config.width), dtype=np.float32)
    device = next(model.parameters()).device
    out = np.zeros((len(crystals), model.config.width), dtype=np.float32)
    groups = _batches_by_size([c.num_atoms for c in crystals], pair_budget)
    done = 0
    for group in groups:
        batch = CrystalBatch.from_crystals([crystals[i] for i in group]).to(device)
        t = torch.zeros(batch.batch_size, dtype=torch.long, device=device)
        out[group] = model.forward_batch(batch, t).crystal_feature.float().cpu().numpy()
        done += len(group)
        if progress is not None:
            progress(done, len(crystals))
    return out
