"""Bad input is refused at once with one clear line (exit 2), before any work, writing nothing."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dao_engine import api
from dao_engine.cli import main
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import ConfigError, OutputPathError, StructureParseError, StructureWarning
from dao_engine.io.cif import write_cif
from dao_engine.io.poscar import poscar_text
from dao_engine.io.structure_files import read_structure, read_structures
from dao_engine.validation import check_output_dir, check_output_file
from tests.helpers.fixtures import nacl

BAD_OPTIONS = [
    (["--step-lr", "inf"], "step_lr must be a finite number"),
    (["--step-lr", "0"], "step_lr must lie in (0, 1]"),
    (["--guidance", "inf"], "guidance must be a finite number"),
    (["--guidance", "nan"], "guidance must be a finite number"),
    (["--guidance", "-1"], "guidance must lie in [0, 10000]"),
    (["--symprec", "-1"], "symprec must lie in (0, 1]"),
    (["--steps", "0"], "steps must be between 1 and 100000"),
    (["--seed", str(2**70)], "seed must be between 0 and"),
    (["--seed", "-1"], "seed must be between 0 and"),
    (["--z", "0"], "z must be between 1"),
    (["--device", "bogus"], "unknown device 'bogus'"),
]


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("extra, message", BAD_OPTIONS)
def test_bad_predict_options_exit_2_before_sampling(
    tiny_checkpoint, tmp_path, capsys, extra, message
):
    out = tmp_path / "never"
    args = ["predict", "NaCl", "--steps", "100000", "--checkpoint", str(tiny_checkpoint)]
    started = time.perf_counter()
    code = main([*args, "--out", str(out), "--quiet", *extra])
    assert code == 2 and time.perf_counter() - started < 2.0  # 100000 steps never ran
    assert message in one_line(capsys)
    assert not out.exists()


def test_api_request_refuses_bad_options_before_loading_anything():
    with pytest.raises(ConfigError, match="finite"):
        api.PredictRequest("NaCl", step_lr=float("inf"), checkpoint="/nonexistent.pt")
    with pytest.raises(ConfigError, match="cuda:7|CUDA"):
        api.PredictRequest("NaCl", device="cuda:7")


def test_predict_out_that_is_a_file_or_holds_results_is_refused(tiny_checkpoint, tmp_path, capsys):
    args = ["predict", "NaCl", "--shots", "2", "--steps", "3", "--checkpoint", str(tiny_checkpoint)]
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    assert main([*args, "--quiet", "--out", str(a_file)]) == 2
    assert "is a file" in one_line(capsys) and a_file.read_text() == "keep me"
    out = tmp_path / "pred"
    out.mkdir()
    (out / "NaCl_shot002.cif").write_text("keep me")
    assert main([*args, "--quiet", "--out", str(out)]) == 2
    assert "--force" in one_line(capsys) and (out / "NaCl_shot002.cif").read_text() == "keep me"
    assert main([*args, "--quiet", "--out", str(out), "--force"]) == 0
    assert (out / "NaCl_shot002.cif").read_text().startswith("#")


def test_output_paths_are_checked_before_work(tmp_path):
    with pytest.raises(OutputPathError, match="longer than"):
        check_output_file(tmp_path / ("x" * 300 + ".cif"))
    assert check_output_dir(tmp_path / "new" / "deep").is_dir()  # created when missing
    blocked = tmp_path / "ro"
    blocked.mkdir()
    blocked.chmod(0o500)
    try:
        if os.access(blocked, os.W_OK):  # running as root: permissions are not enforced
            pytest.skip("permissions are not enforced for this user")
        with pytest.raises(OutputPathError, match="cannot write"):
            check_output_dir(blocked)
    finally:
        blocked.chmod(0o700)


def test_evaluate_never_overwrites_a_committed_result(
    tiny_checkpoint, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = tmp_path / "benchmarks" / "results" / f"{tiny_checkpoint.stem}_mp_20.json"
    result.parent.mkdir(parents=True)
    result.write_text('{"committed": true}')
    assert main(["evaluate", str(tiny_checkpoint), "--data", "mp_20/test", "--quiet"]) == 2
    assert "already exists" in one_line(capsys)
    assert result.read_text() == '{"committed": true}'


def test_relax_with_chgnet_missing_gives_one_line(tmp_path, capsys, monkeypatch):
    from dao_engine.relax import chgnet_backend

    src = tmp_path / "nacl.cif"
    write_cif(nacl(), src)
    monkeypatch.setitem(sys.modules, "chgnet", None)  # import chgnet -> ImportError
    monkeypatch.setitem(sys.modules, "chgnet.model", None)
    chgnet_backend._model.cache_clear()
    assert main(["relax", str(src), "--backend", "chgnet"]) == 2
    assert "dao-studio[chgnet]" in one_line(capsys)
    chgnet_backend._model.cache_clear()


def test_ctrl_c_at_the_very_start_exits_130(monkeypatch, capsys):
    import dao_engine.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["predict", "NaCl"]) == 130
    assert "interrupted" in one_line(capsys)


# --- formulas with shell characters, folders given as files, usage errors ----------------------

_FORMULA_HELP = "write element symbols, whole-number counts and brackets only, e.g. NaCl or Ca(OH)2"
SHELL_FORMULAS = [
    ("Na;Cl", "';' (position 3)"),
    ("NaCl$(x)", "'$' (position 5)"),
    ("Na|Cl", "'|' (position 3)"),
    ("NaCl`id`", "'`' (position 5)"),
    ("Na&&Cl", "'&' (position 3)"),
    ("NaCl > out", "'>' (position 6)"),
]


@pytest.mark.parametrize("formula, where", SHELL_FORMULAS)
@pytest.mark.parametrize("command", ["predict", "tc"])
def test_a_formula_with_shell_characters_names_the_character(
    tmp_path, capsys, command, formula, where
):
    out = tmp_path / "never"
    extra = ["--out", str(out)] if command == "predict" else ["--generator", "/nonexistent.pt"]
    assert (
        main(
            [
                command,
                formula,
                "--checkpoint" if command == "predict" else "--seed",
                "/nonexistent.pt" if command == "predict" else "0",
                *extra,
            ]
        )
        == 2
    )
    message = one_line(capsys)
    assert message == (
        f"dao {command}: error: '{formula}' is not a chemical formula: {where} is not allowed - "
        f"a shell character, so quote the formula or drop it; {_FORMULA_HELP}"
    )
    assert "does not exist" not in message and not out.exists()


def test_a_folder_given_as_a_structure_file_says_so(tmp_path, capsys):
    assert main(["relax", str(tmp_path), "--checkpoint", "/nonexistent.pt"]) == 2
    assert one_line(capsys) == (
        f"dao relax: error: '{tmp_path}' is a directory, not a structure file; give the path "
        "of one CIF, POSCAR or XYZ file"
    )
    assert main(["tc", str(tmp_path), "--tc-model", "/nonexistent.pt"]) == 2
    assert one_line(capsys) == (
        f"dao tc: error: '{tmp_path}' is a directory, not a structure file; give one CIF, "
        "POSCAR or XYZ file, or a formula such as NaCl"
    )
    assert main(["info", str(tmp_path)]) == 2
    assert "is a directory, not a checkpoint; give a .pt file" in one_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", ["missing.cif", "runs/none/POSCAR", "./nothere"])
def test_dao_tc_on_a_missing_file_says_no_such_file(capsys, target):
    assert main(["tc", target, "--tc-model", "/nonexistent.pt"]) == 2
    assert one_line(capsys) == (
        f"dao tc: error: no such file: '{target}'; give an existing CIF, POSCAR or XYZ file, "
        "or a formula such as NaCl"
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--steps", "abc"], "argument --steps: invalid int value: 'abc'"),
        (["--shots=--"], "argument --shots: expected one value"),  # argparse made it []
        (["--out=--"], "argument --out: expected one value"),
    ],
)
def test_usage_errors_are_one_line(tmp_path, capsys, extra, message):
    assert main(["predict", "NaCl", "--checkpoint", "/nonexistent.pt", *extra]) == 2
    assert one_line(capsys) == f"dao predict: error: {message} (see 'dao predict --help')"
    assert main(["predict", "NaCl", "--bogus"]) == 2  # reported by the top-level parser
    assert one_line(capsys) == "dao: error: unrecognized arguments: --bogus (see 'dao --help')"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--steps", "0"], "steps must be between 1 and 10000, got 0"),
        (["--max-iter", "0"], "max_iter must be between 1 and 10000, got 0"),
        (["--lr", "nan"], "lr must be a finite number, got nan"),
        (["--chgnet-steps", "0", "--backend", "chgnet"], "chgnet_steps must be between 1"),
    ],
)
def test_bad_relax_options_exit_2_before_reading_or_relaxing(tmp_path, capsys, extra, message):
    src = tmp_path / "nacl.cif"
    write_cif(nacl(), src)
    out = tmp_path / "new" / "relaxed.cif"
    assert main(["relax", str(src), "--out", str(out), *extra]) == 2
    assert message in one_line(capsys)
    assert not out.parent.exists()


# --- structure files -------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_fifo_device_and_folder_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.cif"
    os.mkfifo(fifo)
    with pytest.raises(StructureParseError, match="FIFO"):
        read_structure(fifo)
    if Path("/dev/zero").exists():
        with pytest.raises(StructureParseError, match="device"):
            read_structure("/dev/zero")
    with pytest.raises(StructureParseError, match="is a directory, not a structure file"):
        read_structure(tmp_path)


def _big_cif(num_atoms: int) -> str:
    rng = np.random.default_rng(0)
    rows = "\n".join(
        f"Na Na{i} 1 {x:.5f} {y:.5f} {z:.5f} 1"
        for i, (x, y, z) in enumerate(rng.random((num_atoms, 3)))
    )
    return (
        "data_big\n_symmetry_space_group_name_H-M 'P 1'\n_cell_length_a 100\n_cell_length_b 100\n"
        "_cell_length_c 100\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\n"
        "loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n"
        " _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy\n"
        f"{rows}\n"
    )


def test_a_20000_atom_cif_is_refused_in_under_a_second(tmp_path):
    path = tmp_path / "big.cif"
    path.write_text(_big_cif(20_000))
    started = time.perf_counter()
    with pytest.raises(StructureParseError, match="20000 atom sites"):
        read_structure(path)
    assert time.perf_counter() - started < 1.0


def test_bom_crlf_and_content_decide_over_the_name(tmp_path):
    text = write_cif(nacl(), symmetrize=False)
    bom = tmp_path / "bom.cif"
    bom.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert read_structure(bom).formula(reduced=True) == "NaCl"
    named_poscar = tmp_path / "POSCAR_relaxed.cif"
    named_poscar.write_text(text)
    assert read_structure(named_poscar).num_atoms == 8
    cif_in_vasp = tmp_path / "cell.vasp"
    cif_in_vasp.write_text(text)
    assert read_structure(cif_in_vasp).num_atoms == 8
    unnamed = tmp_path / "structure.txt"
    unnamed.write_text(poscar_text(nacl()))
    assert read_structure(unnamed).num_atoms == 8


def _with_cell(field: str, value: str) -> str:
    text = write_cif(nacl(), symmetrize=False)
    lines = [f"{field}   {value}" if line.startswith(field) else line for line in text.split("\n")]
    return "\n".join(lines)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("_cell_angle_gamma", "200", "gamma = 200°"),
        ("_cell_angle_alpha", "0", "alpha = 0°"),
        ("_cell_length_a", "-5.6", "cell length a = -5.6"),
        ("_cell_length_b", "1e9", "at most 1000 Å"),
    ],
)
def test_impossible_cells_are_refused(tmp_path, field, value, message):
    path = tmp_path / "bad.cif"
    path.write_text(_with_cell(field, value))
    with pytest.raises(StructureParseError, match=message.replace("(", r"\(")):
        read_structure(path)


def test_atoms_closer_than_half_an_angstrom_are_reported_naming_the_pair(tmp_path):
    base = nacl()
    close = Crystal(
        base.lattice, np.vstack([base.frac, base.frac[:1] + 0.001]), [*base.species, 17]
    )
    path = tmp_path / "close.cif"
    write_cif(close, path, symmetrize=False)
    pattern = r"atom 1 \(Na\) is only 0.0\d\d Å from atom 9 \(Cl\)"
    with pytest.warns(StructureWarning, match=pattern):
        crystal = read_structure(path)
    assert crystal.num_atoms == 9  # read as it is: never silently fixed
    assert re.search(pattern, crystal.properties["sanity_warning"])


def test_a_two_block_cif_keeps_the_good_block(tmp_path, caplog):
    good = write_cif(nacl(), symmetrize=False)
    bad = "data_broken\n_cell_length_a 5\nloop_\n _atom_site_label\n X1\n"
    path = tmp_path / "two.cif"
    path.write_text(good + "\n" + bad)
    crystals = read_structures(path)
    assert len(crystals) == 1 and crystals[0].num_atoms == 8
    assert any("broken" in record.getMessage() for record in caplog.records)
