"""Training loop: checkpoints round trip and resume, NaN detection, corrupt/foreign checkpoints."""

from __future__ import annotations

import pytest
import torch

from dao_engine.diffusion import JointDiffusion
from dao_engine.errors import CheckpointError, TrainingDivergedError
from dao_engine.io.checkpoint import inference_payload, load_checkpoint, save_checkpoint
from dao_engine.models import Crysformer, CrysformerConfig
from dao_engine.models.loading import load_model
from dao_engine.training import TrainConfig, Trainer, TrainingSet
from dao_engine.training.loop import learning_rate
from tests.helpers.fixtures import cscl, nacl, si

TINY = CrysformerConfig(num_layers=1, width=16, heads=2, edge_width=8, fourier_frequencies=4)


def _trainer(steps: int = 6, lr: float = 1e-3) -> Trainer:
    torch.manual_seed(0)
    data = TrainingSet.from_crystals([nacl(), cscl(), si()] * 2)
    cfg = TrainConfig(
        lr=lr, warmup_steps=2, total_steps=steps, batch_size=3, log_every=2, checkpoint_every=3
    )
    return Trainer(Crysformer(TINY), JointDiffusion(), data, cfg)


def test_events_and_checkpoint_round_trip(tmp_path):
    trainer = _trainer()
    path = tmp_path / "model.pt"
    events = list(trainer.run(checkpoint_path=path))
    assert [e.step for e in events] == [2, 4, 6]
    assert all(e.structures_per_s > 0 and e.loss > 0 for e in events)
    ckpt = load_checkpoint(path)
    assert (
        ckpt["step"] == 6
        and ckpt["kind"] == "dao-g"
        and ckpt["data_fingerprint"] == trainer.fingerprint
    )
    loaded = load_model(path, "cpu")
    for name, value in trainer.ema_model().state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[name], value)


def test_resume_continues_from_the_last_checkpoint(tmp_path):
    first = _trainer(steps=6)
    path = tmp_path / "a.pt"
    gen = first.run(checkpoint_path=path)
    next(gen)  # step 2
    next(gen)  # step 4 (checkpoint written at step 3)
    gen.close()
    resumed = _trainer(steps=6)
    resumed.resume(path)
    assert resumed.step == 3
    list(resumed.run())
    assert resumed.step == 6
    # The optimiser state came back: the Adam step counter continues from 3.
    state = resumed.optimizer.state_dict()["state"]
    assert int(next(iter(state.values()))["step"]) == 6


def test_resume_refuses_other_data(tmp_path):
    trainer = _trainer(steps=3)
    path = tmp_path / "a.pt"
    list(trainer.run(checkpoint_path=path))
    other = Trainer(
        Crysformer(TINY), JointDiffusion(), TrainingSet.from_crystals([nacl()]), trainer.config
    )
    with pytest.raises(CheckpointError, match="other data"):
        other.resume(path)


def test_nan_loss_stops_with_step_number():
    trainer = _trainer(steps=5)
    with torch.no_grad():
        trainer.model.frac_head[2].weight.fill_(float("nan"))
    with pytest.raises(TrainingDivergedError, match="at step 1"):
        list(trainer.run())


def test_corrupt_and_foreign_checkpoints(tmp_path):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"PK\x03\x04 this is not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, foreign)
    with pytest.raises(CheckpointError, match="not a DAO Studio checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    newer = tmp_path / "newer.pt"
    torch.save({"schema": "dao-studio-checkpoint", "schema_version": 99}, newer)
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(newer)


def test_compact_inference_checkpoint_loads(tmp_path):
    trainer = _trainer(steps=2)
    list(trainer.run())
    compact = inference_payload(trainer.state())
    path = save_checkpoint(tmp_path / "small.pt", compact)
    loaded = load_model(path, "cpu")
    assert next(loaded.model.parameters()).dtype == torch.float32
    assert path.stat().st_size < (tmp_path / "small.pt").stat().st_size * 2


def test_learning_rate_schedule():
    cfg = TrainConfig(lr=1.0, warmup_steps=10, total_steps=110, min_lr_ratio=0.1)
    assert learning_rate(cfg, 0) == pytest.approx(0.1)
    assert learning_rate(cfg, 9) == pytest.approx(1.0)
    assert learning_rate(cfg, 60) == pytest.approx(0.55)
    assert learning_rate(cfg, 110) == pytest.approx(0.1)
