"""Broken checkpoints are refused by schema with one clear CheckpointError line, never a raw
AttributeError / StopIteration / KeyError; ``dao info`` exits 2 on each of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from dao_engine.cli import main
from dao_engine.errors import CheckpointError
from dao_engine.io.checkpoint import SCHEMA, SCHEMA_VERSION, clip, load_checkpoint
from dao_engine.models.crysformer import Crysformer, CrysformerConfig
from dao_engine.models.loading import load_model

CONFIG = CrysformerConfig(num_layers=1, width=16, heads=2, edge_width=8, max_atoms=8)


def good_payload() -> dict[str, Any]:
    """A complete, valid (untrained) DAO-G checkpoint dict."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "kind": "dao-g",
        "model_config": CONFIG.to_dict(),
        "diffusion_config": {"timesteps": 100},
        "model": Crysformer(CONFIG).state_dict(),
        "ema": None,
        "step": 0,
    }


def wrong_shape() -> dict[str, Any]:
    data = good_payload()
    name = next(k for k, v in data["model"].items() if v.ndim == 2)
    data["model"] = {**data["model"], name: torch.zeros(3, 5)}
    return data


def edit(**changes: Any) -> dict[str, Any]:
    return {**good_payload(), **changes}


BROKEN = {
    "unknown kind": (lambda: edit(kind="dao-x"), "unknown kind 'dao-x'"),
    "model_config a list": (lambda: edit(model_config=[1, 2]), "'model_config' is a list"),
    "diffusion_config a str": (lambda: edit(diffusion_config="x"), "'diffusion_config' is a str"),
    "model a string": (lambda: edit(model="weights"), "'model' is a str"),
    "model empty": (lambda: edit(model={}), "'model' holds no weight tensors"),
    "model of numbers": (lambda: edit(model={"a": 1.0}), "'model' entry 'a' is a float"),
    "ema a list": (lambda: edit(ema=[1]), "'ema' is a list"),
    "step a string": (lambda: edit(step="7"), "step '7'"),
    "metadata a list": (lambda: edit(metadata=[1]), "'metadata' is a list"),
    "width a string": (
        lambda: edit(model_config={**CONFIG.to_dict(), "width": "16"}),
        "model_config['width'] is '16', expected a whole number",
    ),
    "wrong tensor shape": (wrong_shape, "has shape [3, 5], the config needs"),
    "missing weight": (
        lambda: edit(model=dict(list(good_payload()["model"].items())[1:])),
        "do not fit its configuration: 'model' lacks",
    ),
}


@pytest.fixture
def write(tmp_path: Path):
    def _write(data: dict[str, Any]) -> Path:
        path = tmp_path / "broken.pt"
        torch.save(data, path)
        return path

    return _write


def test_a_good_checkpoint_loads(write):
    loaded = load_model(write(good_payload()), "cpu")
    assert loaded.kind == "dao-g" and loaded.max_atoms == 8


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_checkpoint_is_one_clear_error(write, case):
    make, message = BROKEN[case]
    path = write(make())
    with pytest.raises(CheckpointError) as info:
        load_model(path, "cpu")
    text = str(info.value)
    assert message in text and "\n" not in text and "\x1b" not in text


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_dao_info_exits_2_on_a_broken_checkpoint(write, capsys, case):
    make, message = BROKEN[case]
    assert main(["info", str(write(make()))]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_schema_is_checked_by_load_checkpoint_itself(write):
    with pytest.raises(CheckpointError, match="'model_config' is a list"):
        load_checkpoint(write(edit(model_config=[])))


def test_clip_drops_ansi_and_cuts_at_a_word():
    text = "\x1b[31merror\x1b[0m " + "word " * 100
    clipped = clip(text, 40)
    assert "\x1b" not in clipped and len(clipped) <= 40
    assert clipped.endswith("word…")
