"""DAO-P's crystal feature (the pooled h̄ of Eq. 9 at t = 0) for the T_c head."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import ConfigError
from dao_engine.models.crysformer import Crysformer

#: Atom budget of one forward pass (sum over a batch of N², so large cells go in small batches).
PAIR_BUDGET = 40_000
#: Largest cell whose feature is computed: one such cell fills one batch's pair budget. Above the
#: sampler's limit (``Crysformer.atom_limit``, 64 for the shipped models): SC-s holds cells of up
#: to 124 atoms, and one forward pass at t = 0 costs memory, not a diffusion trajectory.
FEATURE_ATOM_LIMIT = int(PAIR_BUDGET**0.5)


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
    largest = max(c.num_atoms for c in crystals)
    if largest > FEATURE_ATOM_LIMIT:
        raise ConfigError(
            f"a cell of {largest} atoms is too large for a crystal feature (at most "
            f"{FEATURE_ATOM_LIMIT}: pair features grow as the square of the atom count)"
        )
    device = next(model.parameters()).device
    out = np.zeros((len(crystals), model.config.width), dtype=np.float32)
    groups = _batches_by_size([c.num_atoms for c in crystals], pair_budget)
    done = 0
    for group in groups:
        batch = CrystalBatch.from_crystals([crystals[i] for i in group]).to(device)
        t = torch.zeros(batch.batch_size, dtype=torch.long, device=device)
        output = model.forward_batch(batch, t, atom_limit=FEATURE_ATOM_LIMIT)
        out[group] = output.crystal_feature.float().cpu().numpy()
        done += len(group)
        if progress is not None:
            progress(done, len(crystals))
    return out
