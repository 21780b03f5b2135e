"""Time estimates: the cost model's arithmetic and a calibration of a real (tiny) sampler."""

from __future__ import annotations

import pytest

from dao_engine import api
from dao_engine.estimates import CHGNET_TYPICAL_STEPS, relax_seconds


def test_sampling_cost_grows_with_pairs_and_steps():
    cost = api.SamplingCost(overhead_s=0.01, per_pair_s=1e-5)
    assert cost.step_seconds(20, 8) == pytest.approx(0.01 + 1e-5 * 20 * 64)
    assert cost.seconds(20, 1000, 8) == pytest.approx(1000 * cost.step_seconds(20, 8))
    assert cost.seconds(8, 250, 8) < cost.seconds(20, 1000, 8) < cost.seconds(20, 1000, 16)


def test_job_estimate_adds_the_relaxation_only_when_asked():
    cost = api.SamplingCost(0.01, 1e-5)
    plain = api.estimate_job(cost, 20, 1000, 8)
    relaxed = api.estimate_job(cost, 20, 1000, 8, relax_candidates=25, relax_steps=200)
    assert plain.relax_s == 0 and plain.total_s == pytest.approx(plain.sampling_s)
    assert relaxed.sampling_s == pytest.approx(plain.sampling_s)
    assert relaxed.relax_s == pytest.approx(relax_seconds(25, 8, 200)) and relaxed.relax_s > 0
    # a step cap below the typical length shortens the relaxation in proportion
    short = relax_seconds(25, 8, CHGNET_TYPICAL_STEPS // 2)
    assert short == pytest.approx(relax_seconds(25, 8, 200) / 2, rel=0.05)


def test_calibration_times_the_real_sampler(tmp_path):
    from tests.app.conftest import make_tiny_checkpoint

    path = str(make_tiny_checkpoint(tmp_path / "tiny.pt"))
    cost = api.calibrate_sampling(path)
    assert cost.overhead_s >= 0 and cost.per_pair_s >= 0
    assert 0 < cost.step_seconds(8, 8) < 5  # a 1-layer model: milliseconds per step
    assert api.calibrate_sampling(path) is cost  # cached for the process
