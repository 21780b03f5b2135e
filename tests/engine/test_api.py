"""The façade the app uses: progress events, frames, cancel, reproducibility, clear errors."""

from __future__ import annotations

import pytest
import torch

from dao_engine import api
from dao_engine.errors import CancelledError, CheckpointError, CompositionError


def _request(tiny_checkpoint, **kw) -> api.PredictRequest:
    base = dict(
        formula="NaCl", z=2, shots=2, steps=6, checkpoint=str(tiny_checkpoint), device="cpu"
    )
    return api.PredictRequest(**{**base, **kw})


def test_progress_then_result_with_frames(tiny_checkpoint):
    items = list(api.predict_iter(_request(tiny_checkpoint, keep_every=2)))
    progress, result = items[:-1], items[-1]
    assert [p.step for p in progress] == list(range(1, 7))
    assert progress[-1].eta_s == 0.0
    assert isinstance(result, api.PredictionResult)
    assert sorted(c.shot for c in result.candidates) == [1, 2]
    flags = [c.problem is not None for c in result.candidates]
    assert flags == sorted(flags)  # implausible 6-step samples rank after plausible ones
    assert [step for step, _ in result.frames] == [2, 4, 6]
    assert all(len(frame) == 2 for _, frame in result.frames)
    last = result.frames[-1][1][0]
    first = next(c for c in result.candidates if c.shot == 1)
    lattice = torch.as_tensor(first.crystal.lattice)
    torch.testing.assert_close(torch.as_tensor(last.lattice), lattice)
    assert first.crystal.formula() == "Na2Cl2"


def test_same_seed_same_structures(tiny_checkpoint):
    a = api.predict(_request(tiny_checkpoint, seed=3)).candidates[0].crystal
    b = api.predict(_request(tiny_checkpoint, seed=3)).candidates[0].crystal
    c = api.predict(_request(tiny_checkpoint, seed=4)).candidates[0].crystal
    assert (a.lattice == b.lattice).all() and (a.frac == b.frac).all()
    assert not (a.lattice == c.lattice).all()


def test_cancel_stops_between_steps(tiny_checkpoint):
    seen = []
    gen = api.predict_iter(_request(tiny_checkpoint, steps=50), should_stop=lambda: len(seen) >= 3)
    with pytest.raises(CancelledError, match="step 3 of 50"):
        for item in gen:
            seen.append(item)
    assert len(seen) == 3


def test_errors_are_domain_errors(tiny_checkpoint, tmp_path, monkeypatch):
    with pytest.raises(CompositionError, match="at most 12 atoms"):
        api.predict(_request(tiny_checkpoint, z=10))
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        api.predict(_request(tmp_path / "none.pt"))
    monkeypatch.setenv("DAO_MODEL", str(tmp_path / "absent.pt"))
    with pytest.raises(CheckpointError, match="default model"):
        api.get_model(None)


def test_model_info_describes_a_checkpoint_as_plain_data(tiny_checkpoint, tiny_dao_p, tmp_path):
    import dataclasses

    info = api.model_info(str(tiny_checkpoint))
    assert isinstance(info, api.ModelInfo) and dataclasses.is_dataclass(info)
    assert info.name == tiny_checkpoint.name and info.path == tiny_checkpoint.resolve()
    assert (info.kind, info.has_energy_head, info.energy_label) == ("dao-g", False, "")
    assert info.max_atoms > 0 and info.num_layers >= 1 and info.width >= 8 and info.heads >= 1
    for value in dataclasses.astuple(info):  # no torch object inside
        assert not isinstance(value, (torch.Tensor, torch.nn.Module))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.kind = "dao-p"  # type: ignore[misc]
    energy = api.model_info(tiny_dao_p)
    assert energy.kind == "dao-p" and energy.has_energy_head and energy.energy_label
    assert energy.has_energy_head == api.has_energy_head(api.get_model(tiny_dao_p, "cpu"))
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        api.model_info(tmp_path / "none.pt")


def test_the_facade_exports_names_not_modules():
    from types import ModuleType

    assert len(set(api.__all__)) == len(api.__all__)
    assert all(hasattr(api, name) for name in api.__all__)
    assert not [n for n in api.__all__ if isinstance(getattr(api, n), ModuleType)]
    assert "app_support" not in api.__all__
