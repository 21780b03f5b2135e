"""The one sampling path (dao_engine/sampling/run.py) and the one settings type (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dao_engine.errors import ConfigError
from dao_engine.models.energy_head import EnergyModel, energy_model_for, has_energy_head
from dao_engine.models.loading import load_model
from dao_engine.sampling.run import SampledBatch, SampledStep, sample_iter, sampler_config
from dao_engine.sampling.settings import (
    DEFAULT_STEPS,
    SamplingSettings,
    protocol_step_lr,
    sampling_fields,
)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("steps", 0, "steps must be between 1 and 100000"),
        ("steps", 1.5, "steps must be a whole number"),
        ("step_lr", float("nan"), "step_lr must be a finite number"),
        ("step_lr", 0.0, "step_lr must lie in (0, 1]"),
        ("guidance", -1.0, "guidance must lie in [0, 10000]"),
        ("corrector_rule", "langevin", "corrector_rule must be 'diffcsp' or 'paper'"),
        ("clip_lattice", 1, "clip_lattice must be True or False"),
        ("keep_every", -1, "keep_every must be ≥ 0"),
        ("seed", -1, "seed must be between 0"),
    ],
)
def test_settings_refuse_values_out_of_range(field, value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        SamplingSettings(**{field: value})


def test_every_request_type_is_a_sampling_settings_with_the_same_defaults():
    from dao_engine.evaluation.runner import EvaluationRequest
    from dao_engine.jobs.sample_phase import SampleSettings
    from dao_engine.prediction import PredictRequest

    requests = [PredictRequest("NaCl"), EvaluationRequest(), SampleSettings()]
    for request in requests:
        assert isinstance(request, SamplingSettings)
        assert request.sampling_settings() == SamplingSettings()
    assert SamplingSettings().steps == DEFAULT_STEPS == 1000
    custom = PredictRequest("NaCl", steps=5, corrector_rule="paper", clip_lattice=False)
    assert sampling_fields(custom)["corrector_rule"] == "paper"
    assert custom.sampling_settings().clip_lattice is False
    with pytest.raises(ConfigError, match="steps must be between"):
        EvaluationRequest(steps=0)


def test_protocol_step_lr_is_one_table():
    assert protocol_step_lr("mp_20", 20) == 1e-5
    assert protocol_step_lr("perov_5", 1) == 5e-7
    assert protocol_step_lr("carbon_24", 1) == 5e-6 and protocol_step_lr("carbon_24", 5) == 5e-7
    assert protocol_step_lr("toy", 1) is None and protocol_step_lr(None, 1) is None


def test_one_energy_head_rule(tiny_checkpoint, tiny_dao_p):
    dao_g, dao_p = load_model(tiny_checkpoint, "cpu"), load_model(tiny_dao_p, "cpu")
    assert not has_energy_head(dao_g) and has_energy_head(dao_p)
    assert EnergyModel.of(dao_g) is None and energy_model_for(dao_g) is None
    with pytest.raises(ConfigError, match="without an energy head"):
        energy_model_for(dao_g, guidance=1.0)
    assert "predicted by" in EnergyModel.of(dao_p).label()


def _species(loaded, shots: int = 2) -> torch.Tensor:
    return torch.tensor([[11, 17]] * shots, device=loaded.device)


def test_sample_iter_yields_every_step_then_the_batch(tiny_checkpoint):
    loaded = load_model(tiny_checkpoint, "cpu")
    settings = SamplingSettings(steps=5, keep_every=2)
    generator = torch.Generator().manual_seed(0)
    events = list(sample_iter(loaded, _species(loaded), settings, generator))
    steps, done = events[:-1], events[-1]
    assert all(isinstance(e, SampledStep) for e in steps) and isinstance(done, SampledBatch)
    assert [e.step for e in steps] == [1, 2, 3, 4, 5] and steps[0].total == 5
    assert [e.keep_frame for e in steps] == [False, True, False, True, True]
    assert steps[0].energies is None and done.energies is None  # DAO-G: no energy head
    assert done.batch.lattice.shape == (2, 3, 3) and torch.equal(
        done.batch.species, _species(loaded)
    )
    assert done.step_lr == sampler_config(loaded, settings).step_lr


def test_sample_iter_gives_final_energies_in_ev_per_atom(tiny_dao_p):
    loaded = load_model(tiny_dao_p, "cpu")
    energy = EnergyModel.of(loaded)
    generator = torch.Generator().manual_seed(1)
    settings = SamplingSettings(steps=3, guidance=1.0)
    events = list(sample_iter(loaded, _species(loaded), settings, generator, energy))
    done = events[-1]
    assert isinstance(done, SampledBatch) and done.energies.shape == (2,)
    np.testing.assert_allclose(done.energies, energy.final_energies(done.batch))
    assert len(events[0].energies) == 2


def test_the_sampler_flags_reach_predict_evaluate_and_the_gpu_job():
    from dao_engine.cli import build_parser
    from dao_engine.cli.sampling_options import sampling_arguments
    from dao_engine.gpu_job import build_parser as job_parser
    from dao_engine.gpu_job import settings_from_args

    flags = ["--corrector-rule", "paper", "--no-clip-lattice", "--steps", "7", "--seed", "3"]
    for argv in (["predict", "NaCl", *flags], ["evaluate", "x.pt", *flags]):
        settings = SamplingSettings(**sampling_arguments(build_parser().parse_args(argv)))
        assert (settings.corrector_rule, settings.clip_lattice, settings.steps) == (
            "paper",
            False,
            7,
        )
    job = settings_from_args(job_parser().parse_args(["--arrays", "x", *flags]), 0.0)
    assert job.sampling == SamplingSettings(
        steps=7, corrector_rule="paper", clip_lattice=False, seed=3
    )
    assert job.seed == 3  # the same --seed trains
