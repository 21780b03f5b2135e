"""Every structure file we write goes through a temp file + rename: a failure mid-write keeps
the old file whole and leaves no temporary file behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dao_engine.io import atomic
from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.structure_files import read_structure, write_structure
from tests.helpers.fixtures import nacl


def test_write_text_atomic_replaces_and_keeps_permissions(tmp_path: Path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n" and list(tmp_path.iterdir()) == [target]
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


@pytest.mark.parametrize("name", ["NaCl.cif", "POSCAR", "NaCl.xyz"])
def test_a_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path, monkeypatch, name):
    target = tmp_path / name
    write_structure(nacl(), target)
    before = target.read_bytes()

    def fail(src, dst):  # the disk fills or the process dies just before the rename
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        write_structure(nacl(6.0), target)
    assert target.read_bytes() == before and list(tmp_path.iterdir()) == [target]
    monkeypatch.undo()
    write_structure(nacl(6.0), target)
    assert read_structure(target).num_atoms == nacl().num_atoms


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


# --- every writer of a user's file: a failure mid-write keeps the old file whole ----------------

_DISK_FULL = OSError(28, "No space left on device")


def _half_then_fail(handle, *args, **kwargs):
    """A writer that gets half-way and then finds the disk full."""
    target = handle if hasattr(handle, "write") else kwargs.get("file")
    target.write(b"partial garbage")
    raise _DISK_FULL


def _assert_kept(folder: Path, target: Path, before: bytes) -> None:
    assert target.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [target.name]  # no temp file left


def test_write_bytes_atomic_and_atomic_open(tmp_path: Path):
    target = tmp_path / "a.bin"
    atomic.write_bytes_atomic(target, b"\x00\x01old")
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_open(target) as out:
            out.write(b"half of the new")
            raise KeyboardInterrupt  # Ctrl-C in the middle of a write
    _assert_kept(tmp_path, target, b"\x00\x01old")
    with atomic.atomic_open(target) as out:
        out.write(b"new")
    _assert_kept(tmp_path, target, b"new")


def test_a_checkpoint_write_that_fails_keeps_the_old_checkpoint(tmp_path: Path, monkeypatch):
    import torch

    from dao_engine.io import checkpoint

    target = tmp_path / "model.pt"
    checkpoint.save_checkpoint(target, {"kind": "dao-g", "step": 1})
    before = target.read_bytes()
    monkeypatch.setattr(torch, "save", lambda data, handle: _half_then_fail(handle))
    with pytest.raises(OSError, match="No space"):
        checkpoint.save_checkpoint(target, {"kind": "dao-g", "step": 2})
    _assert_kept(tmp_path, target, before)
    monkeypatch.undo()
    assert torch.load(target, weights_only=True)["step"] == 1  # the old one, whole


def test_a_dataset_npz_write_that_fails_keeps_the_old_file(tmp_path: Path, monkeypatch):
    import numpy as np

    from dao_engine.datasets.arrays import CrystalArrays

    target = tmp_path / "set.npz"
    CrystalArrays.from_crystals([nacl()]).save_npz(target)
    before = target.read_bytes()
    monkeypatch.setattr(np, "savez_compressed", lambda handle, **cols: _half_then_fail(handle))
    with pytest.raises(OSError, match="No space"):
        CrystalArrays.from_crystals([nacl(), nacl(6.0)]).save_npz(target)
    _assert_kept(tmp_path, target, before)
    monkeypatch.undo()
    assert len(CrystalArrays.load_npz(target)) == 1


def test_a_tc_ensemble_write_that_fails_keeps_the_old_file(tmp_path: Path, monkeypatch):
    import torch

    from dao_engine.superconductors.ensemble import save_ensemble
    from dao_engine.superconductors.head import HeadConfig, TcHead

    features = tmp_path / "features.pt"
    features.write_bytes(b"feature model")
    config = HeadConfig(hidden=4)
    heads = [TcHead(3, config) for _ in range(2)]
    target = tmp_path / "ensemble.pt"
    save_ensemble(target, heads, config, features, {"run": 1})
    before = target.read_bytes()
    monkeypatch.setattr(torch, "save", lambda data, handle: _half_then_fail(handle))
    with pytest.raises(OSError, match="No space"):
        save_ensemble(target, heads, config, features, {"run": 2})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ensemble.pt", "features.pt"]


def test_a_plot_write_that_fails_keeps_the_old_png(tmp_path: Path, monkeypatch):
    from types import SimpleNamespace

    import numpy as np
    from matplotlib.figure import Figure

    from dao_engine.superconductors.report import plot_parity

    cv = SimpleNamespace(out_of_fold=np.log([2.0, 4.0, 9.0]), mean_mae=0.3)
    result = SimpleNamespace(
        sc_s_log_tc=np.log([1.0, 5.0, 10.0]), plain=cv, augmented=cv, case_studies=[]
    )
    target = tmp_path / "parity.png"
    plot_parity(result, target)  # type: ignore[arg-type]
    before = target.read_bytes()
    assert before.startswith(b"\x89PNG")
    monkeypatch.setattr(Figure, "savefig", lambda fig, handle, **kw: _half_then_fail(handle))
    with pytest.raises(OSError, match="No space"):
        plot_parity(result, target)  # type: ignore[arg-type]
    _assert_kept(tmp_path, target, before)


def test_a_json_report_write_that_fails_keeps_the_old_file(tmp_path: Path, monkeypatch):
    from dao_engine.superconductors.report import write_json

    target = tmp_path / "tc_cv.json"
    write_json(target, {"mae": 0.5})
    before = target.read_bytes()
    monkeypatch.setattr(
        atomic.os, "replace", lambda src, dst: _half_then_fail(open(os.devnull, "wb"))
    )
    with pytest.raises(OSError, match="No space"):
        write_json(target, {"mae": 0.4})
    _assert_kept(tmp_path, target, before)
