"""DAO-P pieces: the intermediate-energy loss, energy normalisation, energy invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dao_engine.errors import DatasetError
from dao_engine.training.energy import EnergyNormalisation
from dao_engine.training.losses import intermediate_energy_loss


def test_iep_minimiser_is_minus_log_mean_exp(generator):
    """Toy problem: for input x = 0 the clean energy is 0 or 2 (equally likely), for x = 1 it is
    −1 or 1 or 3. Fitting one value f(x) per input with L_IEP must give −log E[exp(−E₀) | x],
    not the mean energy an MSE loss would give."""
    energies = {0: torch.tensor([0.0, 2.0]), 1: torch.tensor([-1.0, 1.0, 3.0])}
    f = torch.zeros(2, requires_grad=True)
    optimiser = torch.optim.Adam([f], lr=0.05)
    for _ in range(1500):
        x = torch.randint(0, 2, (256,), generator=generator)
        e0 = torch.stack(
            [
                energies[int(i)][
                    torch.randint(0, len(energies[int(i)]), (1,), generator=generator)
                ][0]
                for i in x[:64]
            ]
        )
        loss = intermediate_energy_loss(f[x[:64]], e0)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    for x, values in energies.items():
        expected = -math.log(float(torch.exp(-values).mean()))
        assert abs(float(f[x]) - expected) < 0.05, (x, float(f[x]), expected)
        assert abs(float(f[x]) - float(values.mean())) > 0.3  # clearly not the MSE minimiser


def test_iep_ignores_missing_labels():
    pred = torch.tensor([0.0, 5.0], requires_grad=True)
    loss = intermediate_energy_loss(pred, torch.tensor([0.0, float("nan")]))
    assert float(loss) == 0.0
    loss.backward()
    assert torch.isfinite(pred.grad).all()


def test_normalisation_round_trip():
    values = np.array([-3.0, -1.0, 0.5, np.nan])
    norm = EnergyNormalisation.from_values(values)
    assert abs(norm.to_physical(float(norm.normalise(values)[1])) - (-1.0)) < 1e-12
    assert np.nanmax(np.abs(norm.normalise(values))) < 2
    assert EnergyNormalisation.from_dict(norm.to_dict()) == norm
    with pytest.raises(DatasetError):
        EnergyNormalisation.from_values(np.array([np.nan, 1.0]))
