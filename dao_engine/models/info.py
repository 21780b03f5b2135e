"""What a loaded checkpoint is, as plain data: :class:`ModelInfo` (no torch objects in it).

:func:`describe` reads it off a :class:`~dao_engine.models.loading.LoadedModel`;
``api.model_info(checkpoint)`` loads (once per process) and describes, so a caller such as the
app's model picker never inspects the network itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dao_engine.models.energy_head import energy_normalisation_of, has_energy_head
from dao_engine.models.loading import LoadedModel

__all__ = ["ModelInfo", "describe"]


@dataclass(frozen=True)
class ModelInfo:
    """A checkpoint, described.

    Attributes:
        path: the file read; name: its file name.
        kind: "dao-g" (generator) or "dao-p" (generator with an energy head).
        step: optimiser steps it was trained for.
        max_atoms: the largest cell (atoms) to ask it for: the largest it was trained on when
            its metadata records the training cells (``cell_atoms`` [min, max]; a perov_5
            model saw only 5-atom cells), else the largest it was built for.
        has_energy_head: it predicts energies in eV/atom (the one rule of
            :mod:`dao_engine.models.energy_head`).
        num_layers, width, heads: the network's size.
        data: what it was trained on (its metadata's ``data``), "" when not recorded.
        energy_label: the energy its head was trained on (the normalisation's label), "" when
            it has no energy head or none is recorded.
    """

    path: Path
    name: str
    kind: str
    step: int
    max_atoms: int
    has_energy_head: bool
    num_layers: int
    width: int
    heads: int
    data: str = ""
    energy_label: str = ""


def trained_max_atoms(built_for: int, metadata: dict) -> int:
    """The largest training cell recorded in ``metadata["cell_atoms"]`` (capped by the size
    the network was built for), else ``built_for``; an unreadable record is ignored."""
    try:
        largest = int(metadata["cell_atoms"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return built_for
    return min(built_for, largest) if largest > 0 else built_for


def describe(loaded: LoadedModel) -> ModelInfo:
    """The :class:`ModelInfo` of ``loaded``."""
    config = loaded.model.config
    norm = energy_normalisation_of(loaded)
    label = norm.label if norm is not None else ""
    return ModelInfo(
        path=Path(loaded.path),
        name=Path(loaded.path).name,
        kind=loaded.kind,
        step=int(loaded.step),
        max_atoms=trained_max_atoms(int(config.max_atoms), loaded.metadata or {}),
        has_energy_head=has_energy_head(loaded),
        num_layers=int(config.num_layers),
        width=int(config.width),
        heads=int(config.heads),
        data=str((loaded.metadata or {}).get("data", "")),
        energy_label=str(label or ""),
    )
