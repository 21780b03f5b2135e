"""Tiny trained checkpoints for tests (seconds on a CPU)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from dao_engine.diffusion import JointDiffusion
from dao_engine.models import Crysformer, CrysformerConfig
from dao_engine.training import TrainConfig, Trainer, TrainingSet
from dao_engine.training.energy import EnergyNormalisation
from tests.helpers.fixtures import cscl, nacl, si

#: the toy energy of :func:`train_tiny_dao_p`: E = (a − A0)² eV/atom for a NaCl cell of edge a
A0 = 5.64


def train_tiny_dao_g(path: Path) -> Path:
    """A 1-layer, 16-wide DAO-G trained for 3 steps on NaCl/CsCl/Si (max 12 atoms)."""
    torch.manual_seed(0)
    config = CrysformerConfig(
        num_layers=1, width=16, heads=2, edge_width=8, fourier_frequencies=4, max_atoms=12
    )
    trainer = Trainer(
        Crysformer(config),
        JointDiffusion(),
        TrainingSet.from_crystals([nacl(), cscl(), si()]),
        TrainConfig(total_steps=3, batch_size=3, warmup_steps=1, log_every=3),
        metadata={"data": "NaCl, CsCl, Si fixtures"},
    )
    list(trainer.run(checkpoint_path=path))
    return path


def train_tiny_dao_p(path: Path, steps: int = 600) -> Path:
    """A small DAO-P trained on NaCl cells strained between a = 4.6 and 6.8 Å with the toy
    energy E = (a − 5.64 Å)² eV/atom, so its energy head has a minimum near the real lattice."""
    torch.manual_seed(0)
    edges = np.linspace(4.6, 6.8, 23)
    energies = (edges - A0) ** 2
    norm = EnergyNormalisation.from_values(energies, label="toy strain energy")
    data = TrainingSet.from_crystals([nacl(a) for a in edges])
    data.energy = torch.as_tensor(norm.normalise(energies), dtype=torch.float32)
    config = CrysformerConfig(
        num_layers=1,
        width=32,
        heads=2,
        edge_width=16,
        fourier_frequencies=4,
        max_atoms=8,
        energy_head=True,
    )
    trainer = Trainer(
        Crysformer(config),
        JointDiffusion(),
        data,
        TrainConfig(
            lr=3e-3,
            total_steps=steps,
            batch_size=23,
            warmup_steps=20,
            log_every=steps,
            energy_weight=5.0,
            ema_decay=0.9,
        ),
        kind="dao-p",
        energy_normalisation=norm.to_dict(),
        metadata={"data": "strained NaCl toy"},
    )
    list(trainer.run(checkpoint_path=path))
    return path
