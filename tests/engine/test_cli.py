"""The ``dao`` command line end to end, and its one-line errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dao_engine.cli import main
from dao_engine.io.structure_files import read_structure

ROOT = Path(__file__).resolve().parents[2]


def test_predict_writes_one_cif_per_shot_and_a_table(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "pred"
    code = main(
        [
            "predict",
            "NaCl",
            "--z",
            "2",
            "--shots",
            "3",
            "--steps",
            "5",
            "--checkpoint",
            str(tiny_checkpoint),
            "--out",
            str(out),
            "--quiet",
            "--p1",
            "--relax",
            "none",
            "--library",
            "0",
        ]
    )
    assert code == 0
    files = sorted(out.glob("*.cif"))
    assert len(files) == 3
    crystal = read_structure(files[0])
    assert sorted(crystal.symbols) == ["Cl", "Cl", "Na", "Na"]
    table = capsys.readouterr().out
    assert "space group" in table and table.count("NaCl_shot") == 3


def test_predict_ranks_samples_and_library_structures_into_polymorphs(
    tiny_checkpoint, tmp_path, capsys
):
    """Issue 11: known structures and templates join the samples, CHGNet relaxes them all, and
    the table ranks polymorphs by CHGNet energy (rock salt NaCl lowest)."""
    pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")
    out = tmp_path / "ranked"
    args = ["predict", "NaCl", "--z", "2", "--shots", "2", "--steps", "3", "--library", "3"]
    args += ["--checkpoint", str(tiny_checkpoint), "--out", str(out), "--quiet"]
    assert main(args + ["--chgnet-steps", "60"]) == 0
    table = capsys.readouterr().out.splitlines()
    first = table[1].split()
    assert first[:3] == ["1", "1", "1"] and "Fm-3m (225)" in table[1]
    assert " 0.0 " in table[1]  # ΔE of the lowest polymorph
    sources = [line for line in table[1:] if "DAO sample" in line or "mp-" in line]
    assert len(sources) == 5 and sum("DAO sample" in line for line in sources) == 2
    assert len(list(out.glob("*.cif"))) == 5
    assert "relax chgnet, rank by chgnet energy" in table[-2]


def test_symmetrized_output_is_default(tiny_checkpoint, tmp_path):
    out = tmp_path / "sym"
    assert (
        main(
            [
                "predict",
                "CsCl",
                "--shots",
                "1",
                "--steps",
                "3",
                "--checkpoint",
                str(tiny_checkpoint),
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    text = next(out.glob("*.cif")).read_text()
    assert "_symmetry_space_group_name_H-M" in text or "_space_group_name_H-M" in text


def test_info(tiny_checkpoint, capsys):
    assert main(["info", str(tiny_checkpoint)]) == 0
    text = capsys.readouterr().out
    assert "dao-g" in text and "step            3" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "NaXx"], "unknown element"),
        (["predict", "(Ba0.5Sr0.5)TiO3"], "disordered compositions are not supported"),
        (["predict", "   "], "empty"),
        (["predict", "NaCl", "--z", "40"], "at most 12 atoms"),
        (["info", "missing.pt"], "no such checkpoint"),
    ],
)
def test_bad_input_gives_one_line(tiny_checkpoint, capsys, args, message):
    if args[0] == "predict":
        args = [*args, "--checkpoint", str(tiny_checkpoint), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_bad_input_has_no_traceback_in_a_real_process(tmp_path):
    env = {**os.environ, "DAO_MODEL": str(tmp_path / "absent.pt")}
    proc = subprocess.run(
        [sys.executable, "-m", "dao_engine.cli", "predict", "NaCl"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "default model" in proc.stderr


def test_engine_imports_without_gui_packages():
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in {'PySide6','pyvista','pyvistaqt','superqt','qasync'}:\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import dao_engine.api, dao_engine.cli, dao_engine.training, dao_engine.datasets\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_relax_with_dao_p_writes_a_valid_structure(tiny_dao_p, tmp_path, capsys):
    from dao_engine.io.structure_files import write_structure
    from tests.helpers.fixtures import nacl

    src = write_structure(nacl(6.2), tmp_path / "strained.cif", symmetrize=False)
    out = tmp_path / "relaxed.cif"
    assert (
        main(
            ["relax", str(src), "--checkpoint", str(tiny_dao_p), "--steps", "2", "--out", str(out)]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "toy strain energy" in text and "→" in text
    assert read_structure(out).formula(reduced=True) == "NaCl"


def test_relax_refuses_a_dao_g_checkpoint(tiny_checkpoint, tmp_path, capsys):
    from dao_engine.io.structure_files import write_structure
    from tests.helpers.fixtures import nacl

    src = write_structure(nacl(), tmp_path / "nacl.cif")
    assert main(["relax", str(src), "--checkpoint", str(tiny_checkpoint)]) == 2
    assert "needs a DAO-P" in capsys.readouterr().err


def test_relax_dataset_touches_only_the_unstable_window(tiny_dao_p, tmp_path):
    import numpy as np

    from dao_engine.datasets.arrays import CrystalArrays
    from tests.helpers.fixtures import nacl

    crystals = [nacl(6.2), nacl(6.2), nacl(6.2)]
    arrays = CrystalArrays.from_crystals(crystals)
    arrays.labels["energy_above_hull"] = np.array([0.0, 0.2, 0.9], dtype=np.float32)
    src = arrays.save_npz(tmp_path / "in.npz")
    out = tmp_path / "out.npz"
    assert main(["relax-dataset", str(tiny_dao_p), "--arrays", str(src), "--out", str(out)]) == 0
    relaxed = CrystalArrays.load_npz(out)
    np.testing.assert_allclose(relaxed.lattice[0], arrays.lattice[0])  # stable: kept
    np.testing.assert_allclose(relaxed.lattice[2], arrays.lattice[2])  # too unstable: kept
    assert not np.allclose(relaxed.lattice[1], arrays.lattice[1])  # in (0.08, 0.5]: relaxed


def test_train_then_stage_two_from_init_writes_cards(tmp_path, capsys):
    from dao_engine.io.checkpoint import load_checkpoint
    from dao_engine.io.structure_files import write_structure
    from tests.helpers.fixtures import cscl, nacl

    files = [str(write_structure(c, tmp_path / f"{c.label}.cif")) for c in (nacl(), cscl())]
    size = ["--layers", "1", "--width", "16", "--heads", "2", "--batch-size", "2", "--warmup", "1"]
    stage1 = tmp_path / "stage1.pt"
    assert main(["train", "--structures", *files, "--steps", "2", *size, "--out", str(stage1)]) == 0
    stage2 = tmp_path / "stage2.pt"
    args = ["train", "--structures", *files, "--steps", "2", "--lr", "1e-4", *size]
    assert main([*args, "--init", str(stage1), "--out", str(stage2)]) == 0
    assert "initialised weights from" in capsys.readouterr().out
    assert stage1.with_suffix(".md").is_file() and stage2.with_suffix(".md").is_file()
    ckpt = load_checkpoint(stage2)
    assert ckpt["step"] == 2 and ckpt["train_config"]["lr"] == 1e-4
    # resuming a finished run continues from its step and does not start over
    assert main([*args, "--steps", "3", "--resume", "--out", str(stage2)]) == 0
    assert load_checkpoint(stage2)["step"] == 3


def test_every_command_is_one_module_with_add_parser_and_run():
    import argparse

    from dao_engine import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == list(cli.COMMANDS)
    for command in cli.COMMANDS:
        module = cli.command_module(command)
        assert module.__name__.startswith("dao_engine.cli.")
        assert callable(module.add_parser) and callable(module.run)
