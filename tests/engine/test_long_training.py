"""Training that runs for hours: exact resume (weights, EMA, data order, noise, schedule),
atomic checkpoints, the learning curve, and ``dao train-long`` stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from dao_engine.diffusion import JointDiffusion
from dao_engine.errors import CancelledError
from dao_engine.io.checkpoint import load_checkpoint, save_checkpoint
from dao_engine.jobs.corpus import first_of_each_id
from dao_engine.models import Crysformer, CrysformerConfig
from dao_engine.training import TrainConfig, Trainer, TrainingSet
from dao_engine.training.curve import LearningCurve, validation_loss
from tests.helpers.fixtures import cscl, nacl, si

ROOT = Path(__file__).resolve().parents[2]
TINY = CrysformerConfig(num_layers=1, width=16, heads=2, edge_width=8, fourier_frequencies=4)


def _crystals():
    out = []
    for k in range(7):  # 21 crystals, batch 4: 6 batches an epoch, the last one short
        for make in (nacl, cscl, si):
            c = make()
            out.append(type(c)(c.lattice * (1 + 0.01 * k), c.frac, c.species, f"{c.label}{k}"))
    return out


def _trainer(total: int = 16) -> Trainer:
    torch.manual_seed(0)
    data = TrainingSet.from_crystals(_crystals())
    cfg = TrainConfig(
        lr=2e-3, warmup_steps=3, total_steps=total, batch_size=4, log_every=4, checkpoint_every=5
    )
    return Trainer(Crysformer(TINY), JointDiffusion(), data, cfg)


def _stop_at(trainer: Trainer, step: int):
    return lambda: trainer.step >= step


def test_resume_mid_epoch_reproduces_the_uninterrupted_run(tmp_path):
    straight = _trainer()
    list(straight.run())
    assert straight.step == 16

    path = tmp_path / "run.pt"
    first = _trainer()
    with pytest.raises(CancelledError):
        list(first.run(checkpoint_path=path, should_stop=_stop_at(first, 9)))  # mid-epoch 2
    assert load_checkpoint(path)["step"] == 9
    second = _trainer()
    second.resume(path)
    list(second.run(checkpoint_path=path))

    assert second.step == 16
    for name, value in straight.model.state_dict().items():
        torch.testing.assert_close(second.model.state_dict()[name], value, rtol=0, atol=0)
    for name, value in straight.ema.items():
        torch.testing.assert_close(second.ema[name], value, rtol=0, atol=0)


def test_a_fresh_seed_without_saved_noise_state_gives_a_different_run(tmp_path):
    """The comparison above can fail: dropping the generator state changes the weights."""
    straight = _trainer()
    list(straight.run())
    path = tmp_path / "run.pt"
    first = _trainer()
    with pytest.raises(CancelledError):
        list(first.run(checkpoint_path=path, should_stop=_stop_at(first, 9)))
    ckpt = load_checkpoint(path)
    ckpt.pop("noise_rng")
    save_checkpoint(path, ckpt)
    second = _trainer()
    second.resume(path)
    list(second.run())
    name = next(iter(straight.model.state_dict()))
    assert not torch.equal(second.model.state_dict()[name], straight.model.state_dict()[name])


def test_every_epoch_visits_every_crystal_once():
    data = TrainingSet.from_crystals(_crystals())
    gen = torch.Generator().manual_seed(3)
    batches = list(data.epoch_batches(4, gen))
    assert len(batches) == data.batches_per_epoch(4) == 6
    assert sorted(torch.cat(batches).tolist()) == list(range(len(data)))


def test_a_kill_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    trainer = _trainer()
    path = tmp_path / "run.pt"
    list(trainer.run(checkpoint_path=path))
    before = path.read_bytes()

    def dies_half_way(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # as a kill would stop the write

    monkeypatch.setattr(torch, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        trainer.save(path)
    assert path.read_bytes() == before
    assert load_checkpoint(path)["step"] == 16


def test_validation_loss_is_a_fixed_function_of_the_weights():
    trainer = _trainer(total=4)
    data = TrainingSet.from_crystals(_crystals()[:6])
    model = trainer.ema_model()
    a = validation_loss(model, trainer.diffusion, data, 0.0, repeats=2)
    b = validation_loss(model, trainer.diffusion, data, 0.0, repeats=2)
    assert a == b and a["total"] > 0
    list(trainer.run())
    c = validation_loss(trainer.ema_model(), trainer.diffusion, data, 0.0, repeats=2)
    assert c["total"] != a["total"]


def test_learning_curve_appends_and_skips_a_torn_last_line(tmp_path):
    curve = LearningCurve(tmp_path / "curve.jsonl")
    curve.append({"step": 1, "val_loss": np.float32(2.5)})
    curve.append({"step": 2, "val_loss": 2.0})
    with curve.path.open("a") as handle:
        handle.write('{"step": 3, "val_')  # killed mid-write
    assert [r["step"] for r in curve.rows()] == [1, 2]


def test_first_of_each_id_keeps_the_first_copy():
    ids = np.array(["mp-2", "mp-1", "mp-2", "mp-3", "mp-1"])
    assert first_of_each_id(ids).tolist() == [0, 1, 3]


_DRIVER = """
import sys
import numpy as np
from dao_engine.datasets.arrays import CrystalArrays
import dao_engine.jobs.long_train_parts as parts
from tests.helpers.fixtures import cscl, nacl, si
crystals = [f() for f in (nacl, cscl, si)] * 8
corpus = CrystalArrays.from_crystals(crystals)
corpus.energy[:] = np.linspace(-2.0, -0.5, len(corpus))
val = CrystalArrays.from_crystals([nacl(), cscl()])
parts.validation_slice = lambda: val
parts.named_corpus = lambda *a, **k: (corpus, {"summary": "fixture"})
from dao_engine.jobs.long_train import main
sys.exit(main(sys.argv[1:]))
"""


def _driver(tmp_path: Path, *extra: str) -> subprocess.Popen:
    args = [
        "--checkpoint", str(tmp_path / "run.pt"), "--curve", str(tmp_path / "curve.jsonl"),
        "--layers", "1", "--width", "16", "--heads", "2", "--batch-size", "4",
        "--total-steps", "100000", "--warmup", "2", "--match-steps", "3", *extra,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", _DRIVER, *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_train_long_stops_on_sigterm_saves_and_resumes(tmp_path):
    proc = _driver(tmp_path, "--minutes", "10", "--eval-minutes", "10")
    started = time.monotonic()
    while not (tmp_path / "run.pt").is_file():  # the first checkpoint: training is under way
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() - started < 120
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "stopped by SIGTERM" in output
    step = load_checkpoint(tmp_path / "run.pt")["step"]
    rows = LearningCurve(tmp_path / "curve.jsonl").rows()
    assert rows[-1]["step"] == step > 0
    assert rows[-1]["val_match_1shot"] is None  # no slow match after a stop request

    again = _driver(tmp_path, "--minutes", "0.05", "--eval-minutes", "10")
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert f"resumed at step {step}/100000" in output
    rows = LearningCurve(tmp_path / "curve.jsonl").rows()
    assert rows[-1]["step"] > step
    assert rows[-1]["val_match_1shot"] is not None and rows[-1]["val_match_n"] == 2
    assert rows[-1]["cpu_minutes"] > rows[0]["cpu_minutes"] and rows[-1]["gpu_minutes"] == 0
    json.dumps(rows)


def test_driver_checkpoint_is_compact_and_loads_for_sampling(tmp_path):
    proc = _driver(tmp_path, "--minutes", "0.03", "--eval-minutes", "10", "--no-final-match")
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    ckpt = load_checkpoint(tmp_path / "run.pt")
    moments = next(iter(ckpt["optimizer"]["state"].values()))
    assert moments["exp_avg"].dtype == torch.bfloat16  # 12 bytes per parameter
    from dao_engine.models.loading import load_model

    assert load_model(tmp_path / "run.pt", "cpu").kind == "dao-p"


def _row(step: int, match: float | None, total: int = 1000) -> dict:
    return {
        "step": step, "total_steps": total, "structures_seen": step * 64, "cpu_minutes": step / 100,
        "gpu_minutes": 0.0, "train_loss": 2.0 - step / 1000, "val_loss": 1.9 - step / 1000,
        "val_match_1shot": match, "val_match_n": 200, "val_match_rmse": 0.1, "val_valid": 90.0,
    }  # fmt: skip


def test_flatness_needs_the_last_fifth_of_the_schedule():
    from dao_engine.jobs.curve_report import flat_over_last_fifth

    rising = [_row(s, m) for s, m in ((200, 5.0), (500, 10.0), (850, 20.0), (1000, 30.0))]
    assert flat_over_last_fifth(rising) is False
    flat = [_row(s, m) for s, m in ((200, 5.0), (500, 10.0), (850, 30.0), (1000, 30.5))]
    assert flat_over_last_fifth(flat) is True
    early = [_row(s, m) for s, m in ((200, 5.0), (500, 10.0))]
    assert flat_over_last_fifth(early) is None


def test_curve_report_writes_plot_and_table(tmp_path):
    from dao_engine.jobs.curve_report import main as report

    curve = LearningCurve(tmp_path / "c.jsonl")
    for step, match in ((100, None), (200, 3.0), (300, None), (400, 6.5)):
        curve.append(_row(step, match))
    assert report(["--curve", str(curve.path), "--out", str(tmp_path / "lc")]) == 0
    assert (tmp_path / "lc.png").stat().st_size > 10_000
    text = (tmp_path / "lc.md").read_text()
    assert "| 400 | 25,600 |" in text and "6.5" in text and "| 300 |" not in text


def _trained_and_models_folder(tmp_path: Path, steps: int) -> Path:
    """A tiny training checkpoint at ``tmp_path/train.pt`` and an empty models folder."""
    trainer = _trainer(total=steps)
    list(trainer.run(checkpoint_path=tmp_path / "train.pt"))
    models = tmp_path / "models"
    models.mkdir()
    (models / "MODELS.json").write_text('{"models": {}}')
    return models


def test_ship_model_writes_fp16_copy_card_and_manifest_entry(tmp_path):
    from dao_engine.jobs.ship_model import ship
    from dao_engine.prediction import verify_shipped_model

    models = _trained_and_models_folder(tmp_path, steps=4)
    record = tmp_path / "eval.json"
    record.write_text(json.dumps({
        "dataset": "mp_20/test", "references": 1000, "subset": "random", "shots": 1,
        "steps": 1000, "step_lr": 1e-5, "match_rate": 12.3, "rmse": 0.08, "sampling_s": 60,
        "match_rate_energy": 12.3, "validity": {"both": 91.0}, "hardware": "cpu",
    }))  # fmt: skip
    curve = tmp_path / "curve.jsonl"
    curve.write_text("".join(
        json.dumps({"step": step, "val_match_1shot": rate, "val_match_steps": 1000}) + "\n"
        for step, rate in ((2, 11.0), (4, 22.0), (9, 33.0))
    ))  # fmt: skip
    target = ship(tmp_path / "train.pt", "tiny.pt", [record], "A note.", curve, models)
    assert verify_shipped_model(target) == json.loads((models / "MODELS.json").read_text())[
        "models"]["tiny.pt"]["sha256"]  # fmt: skip
    assert next(iter(load_checkpoint(target)["model"].values())).dtype == torch.float16
    card = (models / "tiny.md").read_text()
    assert "1-shot match 12.3 %" in card and "A note." in card and "4 optimiser steps" in card
    assert "at step 4**: match 22.0 %" in card and "33.0" not in card  # not a later row's weights


def test_ship_model_can_set_the_corrector_scale_the_model_recommends(tmp_path):
    from dao_engine.jobs.ship_model import ship
    from dao_engine.models.loading import load_model
    from dao_engine.sampling.settings import model_step_lr

    models = _trained_and_models_folder(tmp_path, steps=2)
    target = ship(tmp_path / "train.pt", "perov.pt", [], "", None, models, step_lr=5e-7)
    assert model_step_lr(load_model(target, "cpu").metadata) == 5e-7
    plain = ship(tmp_path / "train.pt", "plain.pt", [], "", None, models)
    assert model_step_lr(load_model(plain, "cpu").metadata) != 5e-7


def test_model_info_offers_cells_up_to_the_largest_it_was_trained_on(tmp_path):
    from dao_engine.api import model_info
    from dao_engine.jobs.ship_model import ship
    from dao_engine.models.info import trained_max_atoms

    models = _trained_and_models_folder(tmp_path, steps=2)
    built_for = model_info(ship(tmp_path / "train.pt", "a.pt", [], "", None, models)).max_atoms
    five = ship(tmp_path / "train.pt", "b.pt", [], "", None, models, cell_atoms=(5, 5))
    assert model_info(five).max_atoms == 5 < built_for
    assert trained_max_atoms(20, {"cell_atoms": [1, 500]}) == 20  # never above the network's
    assert trained_max_atoms(20, {"cell_atoms": "garbled"}) == 20


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("perov_5/train", 5e-7),
        ("carbon_24/train,carbon_24/val", 5e-7),
        ("mp_20/train_partial", 1e-5),
        ("perov_5/train,mp_20/val", 1e-5),  # two families: the default
        (None, 1e-5),  # --arrays / --structures only
    ],
)
def test_dao_train_records_the_protocols_corrector_scale_of_its_data(data, expected):
    from dao_engine.cli.train import recorded_step_lr

    assert recorded_step_lr(data) == expected


def test_size_table_compares_at_equal_cpu_minutes():
    from dao_engine.jobs.curve_report import size_table, value_at

    fast = [
        {"process_cpu_minutes": m, "val_loss": 2.0 - m / 10, "step": 100 * m} for m in (1, 4, 8)
    ]
    slow = [{"process_cpu_minutes": m, "val_loss": 1.8 - m / 20, "step": 30 * m} for m in (1, 3, 6)]
    assert value_at(fast, "val_loss", "process_cpu_minutes", 6.0) == pytest.approx(1.4)
    assert value_at(fast, "val_loss", "process_cpu_minutes", 9.0) is None
    table = size_table({"fast": fast, "slow": slow})
    assert "at 6.0 min" in table and "| fast | 600 | 1.6500 | 1.4000 |" in table
    assert "| slow | 180 | 1.6250 | 1.5000 |" in table


def test_train_long_refuses_a_corpus_that_trains_on_the_validation_slice(tmp_path):
    from dao_engine.errors import ConfigError
    from dao_engine.jobs.long_train import build_parser
    from dao_engine.jobs.long_train_parts import LongRun

    args = build_parser().parse_args(["--corpus", "default", "--curve", str(tmp_path / "c")])
    with pytest.raises(ConfigError, match="does not hold the validation slice out"):
        LongRun(args, lambda: False).start()


def test_a_new_cycle_warms_up_again_decays_to_its_floor_and_survives_resume(tmp_path):
    from dataclasses import replace

    from dao_engine.jobs.train_phase import ModelSettings, _configs
    from dao_engine.training.loop import learning_rate

    first = TrainConfig(lr=1e-3, warmup_steps=10, total_steps=100)
    assert learning_rate(first, 100) == pytest.approx(1e-5)  # the first cycle is done
    cycle = replace(first, cycle_start=100, total_steps=150, lr=3e-4, warmup_steps=5)
    assert learning_rate(cycle, 100) == pytest.approx(3e-4 / 5)
    assert learning_rate(cycle, 104) == pytest.approx(3e-4)
    decay = [learning_rate(cycle, s) for s in range(104, 151)]
    assert all(a >= b for a, b in zip(decay, decay[1:], strict=False))
    assert decay[-1] == pytest.approx(3e-6)
    assert learning_rate(first, 104) != learning_rate(cycle, 104)
    with pytest.raises(Exception, match="cycle_start"):
        replace(first, cycle_start=100)  # a cycle must end after it starts

    trainer = _trainer(total=4)
    list(trainer.run())
    trainer.config = replace(trainer.config, cycle_start=4, total_steps=8)
    path = tmp_path / "cycle.pt"
    trainer.save(path)
    _, stored, _ = _configs(ModelSettings(1, 16, 2, 20), TrainConfig(), path, None)
    assert (stored.cycle_start, stored.total_steps, stored.warmup_steps) == (4, 8, 3)


def test_a_forked_worker_told_to_stop_exits_instead_of_hanging():
    """Corpus building forks workers that inherit the handler; a pool terminating one must end
    it (a worker that only set the flag kept the parent waiting forever)."""
    import multiprocessing

    from dao_engine.jobs.long_train import StopFlag

    saved = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    flag = StopFlag()
    flag.install()
    try:
        worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
        worker.start()
        time.sleep(0.3)
        worker.terminate()
        worker.join(10)
        assert worker.exitcode == -signal.SIGTERM
        assert flag.reason is None  # the parent was not asked to stop
    finally:
        if worker.is_alive():
            worker.kill()
        signal.signal(signal.SIGTERM, saved[0])
        signal.signal(signal.SIGINT, saved[1])
