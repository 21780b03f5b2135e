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
