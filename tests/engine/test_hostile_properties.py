"""Hostile input, generated (hypothesis): CIF fields and sites, formulas, numeric CLI options.

Every input either gives the right result or the project's own error (``DaoError``) with a
one-line message; never another exception, never a file written. No model is ever sampled:
bad input is refused before any work, and good CLI input meets a missing checkpoint. The
numbers of cases each test tries are in its ``settings`` (about 1,700 in all, < 60 s).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dao_engine import api
from dao_engine.cli import main
from dao_engine.crystal.composition import MAX_FORMULA_ATOMS, parse_formula, species_for_formula
from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER, is_element
from dao_engine.crystal.sanity import StructureLimits
from dao_engine.errors import CompositionError, ConfigError, DaoError
from dao_engine.io.cif import write_cif
from dao_engine.io.structure_files import read_structures
from dao_engine.validation import check_relax_options, check_sampling_options
from tests.helpers.fixtures import nacl
from tests.helpers.hostile_strategies import (
    ANGLE,
    CELL_KEYS,
    FORMULA_TEXT,
    INSERTS,
    LENGTH,
    OPTIONS,
    RELAX_OPTIONS,
    SHELL,
    SITES,
    VALID_FORMULA,
    VALUE_TEXT,
    accepts,
    cif_text,
    plain,
)


def fast(examples: int) -> settings:
    """Settings of one property: ``examples`` cases, no deadline, no example database."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def assert_one_line(message: str) -> None:
    assert message.strip(), "empty message"
    assert "\n" not in message and "\r" not in message, message
    assert "\x1b" not in message, message  # no ANSI codes
    assert "Traceback" not in message, message


_counter = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def run_cli(argv: list[str]) -> tuple[int, str]:
    """``dao`` with ``argv``: (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(argv)
    return code, err.getvalue().strip()


# --- (a) CIF cell fields and atom sites --------------------------------------------------------


def _read(folder: Path, text: str):  # type: ignore[no-untyped-def]
    """Crystals read from ``text`` as a file, or the DaoError (message checked: one line)."""
    path = folder / f"fuzz{next(_counter) % 4}.cif"
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen's remarks and overlapping-atom warnings
        try:
            return read_structures(path)
        except DaoError as exc:
            assert_one_line(str(exc))
            return exc


def assert_sane(crystal, max_sites: int) -> None:  # type: ignore[no-untyped-def]
    limits = StructureLimits()
    a, b, c, alpha, beta, gamma = crystal.lattice_parameters()
    assert np.isfinite(crystal.lattice).all() and np.isfinite(crystal.frac).all()
    assert all(0 < x <= limits.max_edge for x in (a, b, c))
    assert all(0 < x < 180 for x in (alpha, beta, gamma))
    assert 0 < crystal.volume <= limits.max_volume
    assert 1 <= crystal.num_atoms <= max_sites
    assert ((crystal.species >= 1) & (crystal.species <= MAX_ATOMIC_NUMBER)).all()


@fast(200)
@given(cell=st.tuples(*[LENGTH] * 3, *[ANGLE] * 3), sites=SITES)
def test_fuzzed_cif_cells_and_sites_read_sanely_or_fail_with_one_line(folder, cell, sites):
    result = _read(folder, cif_text(list(cell), sites))
    if isinstance(result, DaoError):
        return
    assert len(result) == 1
    assert_sane(result[0], len(sites))
    written = [value for _, value in cell]
    if all(v is not None for v in written):  # a plain cell is read as written, never "repaired"
        assert np.allclose(result[0].lattice_parameters(), written, rtol=1e-5)


@fast(60)
@given(
    lengths=st.tuples(*[st.floats(2.0, 20.0)] * 3),
    angles=st.tuples(*[st.floats(50.0, 130.0)] * 3),
    bad=st.sampled_from([0.0, -1.0, 180.0, 200.0, -90.0, float("nan"), float("inf")]),
    which=st.integers(3, 5),
)
def test_an_impossible_angle_is_refused_naming_it(folder, lengths, angles, bad, which):
    cell = [plain(x) for x in (*lengths, *angles)]
    cell[which] = plain(bad)
    result = _read(folder, cif_text(cell, [("Na", "0", "0", "0", "1")]))
    assert isinstance(result, DaoError), f"angle {bad} accepted"
    name = CELL_KEYS[which].removeprefix("angle_")
    assert f"cell angle {name} = {bad:g}°; it must lie strictly between 0 and 180" in str(result)


@fast(100)
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 40), INSERTS), max_size=4))
def test_a_mangled_cif_reads_sanely_or_fails_with_one_line(folder, edits):
    text = write_cif(nacl(), symmetrize=False)
    for where, cut, insert in edits:  # cut some characters and insert a token there
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut :]
    result = _read(folder, text)
    if not isinstance(result, DaoError):
        for crystal in result:
            assert_sane(crystal, 8 * 8)


# --- (b) formulas ------------------------------------------------------------------------------


@fast(300)
@given(text=FORMULA_TEXT)
def test_any_text_is_a_composition_or_one_clear_line(text):
    try:
        composition = parse_formula(text)
    except CompositionError as exc:
        assert_one_line(str(exc))
        with pytest.raises(CompositionError):  # dao predict's validation agrees, before work
            api.PredictRequest(text, device="cpu", checkpoint="/nonexistent.pt")
        return
    assert all(is_element(symbol) for symbol in composition)
    assert all(isinstance(n, int) and n >= 1 for n in composition.counts.values())
    assert composition.num_atoms <= MAX_FORMULA_ATOMS
    assert not set(text) & set(SHELL), "a shell character was accepted"
    api.PredictRequest(text, device="cpu", checkpoint="/nonexistent.pt")  # no error
    try:
        assert len(species_for_formula(text, max_atoms=40)) <= 40
    except CompositionError as exc:
        assert_one_line(str(exc))


@fast(200)
@given(formula=VALID_FORMULA, char=st.sampled_from(list(SHELL)), where=st.floats(0, 1))
def test_a_shell_character_in_a_formula_is_named_with_its_position(formula, char, where):
    at = int(where * len(formula))
    text = formula[:at] + char + formula[at:]
    with pytest.raises(CompositionError) as info:
        parse_formula(text)
    message = str(info.value)
    assert_one_line(message)
    assert message.startswith(f"'{text}' is not a chemical formula: ")
    assert f"(position {at + 1}) is not allowed - a shell character" in message
    assert "e.g. NaCl" in message  # says what to write instead


@fast(200)
@given(formula=VALID_FORMULA)
def test_a_valid_formula_parses_to_its_counts(formula):
    counts: dict[str, int] = {}
    for symbol, count in re.findall(r"([A-Z][a-z]?)(\d*)", formula):
        counts[symbol] = counts.get(symbol, 0) + int(count or 1)
    assert dict(parse_formula(formula).counts) == counts


def _predict_args(out: Path) -> list[str]:
    """``dao predict`` options that never sample: a missing model, no library, no relaxation."""
    fixed = "--checkpoint /nonexistent.pt --device cpu --relax none --rank dao --library 0 --quiet"
    return ["predict", *fixed.split(), "--out", str(out)]


def _is_formula(text: str) -> bool:
    try:
        parse_formula(text)
    except CompositionError:
        return False
    return True


@fast(60)
@given(text=FORMULA_TEXT)
def test_dao_predict_refuses_a_bad_formula_with_one_line_and_writes_nothing(folder, text):
    assume(not _is_formula(text))  # a valid formula would go on to the (missing) model
    out = folder / f"never{next(_counter)}"
    code, err = run_cli([*_predict_args(out), "--", text])
    assert code == 2 and err.startswith("dao predict: error: "), err
    assert_one_line(err)
    assert not out.exists()


@fast(40)
@given(text=FORMULA_TEXT.filter(lambda t: t.strip() and not Path(t).exists()))
@example(text="/\x1b")  # found 2026-12-08: the missing-file message echoed the ESC
def test_dao_tc_refuses_a_bad_formula_with_one_line(text):
    assume(not _is_formula(text))
    code, err = run_cli(["tc", "--generator", "/nonexistent.pt", "--", text])
    assert code == 2 and err.startswith("dao tc: error: "), err
    assert_one_line(err)
    assert "does not exist" not in err


# --- (c) numeric CLI options -------------------------------------------------------------------


@fast(150)
@given(option=st.sampled_from(sorted(OPTIONS)), text=VALUE_TEXT)
def test_a_bad_numeric_predict_option_exits_2_with_one_line_writing_nothing(folder, option, text):
    assume(not accepts(OPTIONS[option], text))
    out = folder / f"never{next(_counter)}"
    code, err = run_cli([*_predict_args(out), f"--{option}={text}", "NaCl"])
    assert code == 2 and err.startswith("dao predict: error: "), err
    assert_one_line(err)
    assert option.replace("-", "_") in err or f"--{option}" in err, err
    assert not out.exists()


@fast(300)
@given(
    steps=st.integers(-5, 200_000),
    guidance=st.floats(allow_nan=True, allow_infinity=True),
    step_lr=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    seed=st.integers(-(2**70), 2**70),
)
def test_sampling_options_are_accepted_exactly_in_their_ranges(steps, guidance, step_lr, seed):
    valid = (
        accepts(OPTIONS["steps"], str(steps))
        and accepts(OPTIONS["guidance"], repr(guidance))
        and (step_lr is None or accepts(OPTIONS["step-lr"], repr(step_lr)))
        and accepts(OPTIONS["seed"], str(seed))
    )
    try:
        check_sampling_options(steps, guidance, step_lr, seed, "cpu")
    except ConfigError as exc:
        assert not valid, f"refused valid options: {exc}"
        assert_one_line(str(exc))
    else:
        assert valid, "accepted an out-of-range option"


@fast(80)
@given(option=st.sampled_from(sorted(RELAX_OPTIONS)), text=VALUE_TEXT)
def test_dao_relax_options_exit_2_with_one_line_writing_nothing(folder, option, text):
    structure = folder / "nacl.cif"
    if not structure.exists():
        write_cif(nacl(), structure, symmetrize=False)
    out = folder / f"relaxed{next(_counter)}.cif"
    argv = ["relax", str(structure), "--checkpoint", "/nonexistent.pt", "--out", str(out)]
    code, err = run_cli([*argv, f"--{option}={text}"])
    assert code == 2 and err.startswith("dao relax: error: "), err
    assert_one_line(err)
    if accepts(RELAX_OPTIONS[option], text):
        assert "no such checkpoint" in err  # valid: refused only for the missing model
    else:
        assert option.replace("-", "_") in err or f"--{option}" in err, err
    assert not out.exists()


def test_relax_option_ranges():
    check_relax_options(1, 1, 1e-3, 1)
    for bad in [
        (0, 5, 1.0, 300),
        (1, 0, 1.0, 300),
        (1, 5, 0.0, 300),
        (1, 5, float("nan"), 300),
        (1, 5, 1.0, 0),
    ]:
        with pytest.raises(ConfigError):
            check_relax_options(*bad)
