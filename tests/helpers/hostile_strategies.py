"""Hypothesis strategies of hostile input for tests/engine/test_hostile_properties.py: CIF cell
fields and atom sites, CIF text edits, formula text, CLI option values; and the documented
ranges of the numeric options with :func:`accepts`, the oracle that says which values are valid.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from dao_engine.validation import MAX_SEED

Token = tuple[str, float | None]  # the text written, and its value when it is a plain number


def plain(value: float) -> Token:
    """A number as Python writes it (``nan``, ``inf``, ``1e+308`` included), with its value."""
    return (repr(value), value)


_JUNK: list[Token] = [
    ("?", None),
    (".", None),
    ("abc", None),
    ("0x10", None),
    ("1e999", None),
    ("--5", None),
    ("5.64(3)", 5.64),
    ("nan", None),
    ("inf", None),
    ("-inf", None),
    ("1,5", None),
]
LENGTH = st.one_of(
    st.floats(0.8, 40.0).map(plain),
    st.sampled_from([0.0, -0.0, -5.6, 1e-9, 1e9, 1e308, 2000.0]).map(plain),
    st.floats(allow_nan=True, allow_infinity=True).map(plain),
    st.sampled_from(_JUNK),
)
ANGLE = st.one_of(
    st.floats(20.0, 160.0).map(plain),
    st.sampled_from([0.0, 180.0, 200.0, -90.0, 360.0, 1e-4, 179.9999, 1e308]).map(plain),
    st.floats(allow_nan=True, allow_infinity=True).map(plain),
    st.sampled_from(_JUNK),
)
_SYMBOL = st.sampled_from(["Na", "Cl", "Si", "O", "H", "Og", "Xx", "D", "Na1+", "Cl-", "?", "0"])
_COORD = st.one_of(
    st.floats(-1.5, 1.5).map(lambda x: f"{x:.5f}"),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-1e308", "?", ".", "0.5(2)", "1/2"]),
)
_OCCUPANCY = st.sampled_from(["1", "1.0", "0.5", "0", "2", "nan", "-1", "?"])
SITES = st.lists(st.tuples(_SYMBOL, _COORD, _COORD, _COORD, _OCCUPANCY), min_size=1, max_size=5)
CELL_KEYS = ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma")


def cif_text(cell: list[Token], sites: list[tuple[str, ...]]) -> str:
    """A P1 CIF with the six cell ``Token`` s and the (symbol, x, y, z, occupancy) rows."""
    fields = "".join(
        f"_cell_{key} {text}\n" for key, (text, _) in zip(CELL_KEYS, cell, strict=True)
    )
    rows = "".join(
        f"  {symbol} {symbol}{i} {x} {y} {z} {occ}\n"
        for i, (symbol, x, y, z, occ) in enumerate(sites)
    )
    return (
        "data_fuzz\n_symmetry_space_group_name_H-M 'P 1'\n"
        + fields
        + "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\n"
        + "loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_fract_x\n"
        + " _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy\n"
        + rows
    )


#: Tokens inserted into a valid CIF's text (loops, blocks, quotes, NUL, BOM, huge numbers).
INSERTS = st.sampled_from(
    [
        "loop_\n",
        "data_x\n",
        "_cell_length_a 1e9\n",
        "'",
        '"',
        ";\n",
        "\n",
        "  ",
        "#",
        "?",
        "_atom_site_fract_x\n",
        "-",
        "1e308",
        "\x00",
        "\ufeff",
        "\r\n",
        "Xx",
        "(",
        "9" * 30,
    ]
)


#: Characters a shell gives a meaning to (brackets excluded: a formula may hold them).
SHELL = ";|&$<>*?'\"`\\!~#"
FORMULA_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("NaClOHSiFeCsVSb()[]{}0123456789 .") + list(SHELL)),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=24,
)
_ELEMENT = st.sampled_from(["Na", "Cl", "O", "H", "Si", "Fe", "Cs", "V", "Sb", "Zr", "Rh", "Fm"])
VALID_FORMULA = st.lists(
    st.tuples(_ELEMENT, st.one_of(st.just(""), st.integers(1, 12).map(str))), min_size=1, max_size=5
).map(lambda parts: "".join(symbol + count for symbol, count in parts))

#: option -> (int or float, low, high, low inclusive), as documented in dao_engine.validation.
OPTIONS = {
    "steps": (int, 1, 100_000, True),
    "shots": (int, 1, 1000, True),
    "seed": (int, 0, MAX_SEED, True),
    "step-lr": (float, 0.0, 1.0, False),
    "guidance": (float, 0.0, 1e4, True),
}
VALUE_TEXT = st.one_of(
    st.integers(-(2**80), 2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "",
            " ",
            "1e3",
            "0x10",
            "1_000",
            "+5",
            "-0",
            "nan",
            "-inf",
            "--",
            "5 6",
            "1.5",
            "\x1b[31m7",
            "2\n3",
            "٣",
        ]
    ),
    st.text(max_size=6),
)


def accepts(spec: tuple, text: str) -> bool:  # type: ignore[type-arg]
    """Whether ``text`` is a valid value for an option ``spec`` (argparse's int or float
    conversion, then the documented range)."""
    kind, low, high, inclusive = spec
    try:
        value = kind(text)
    except ValueError:
        return False
    if not math.isfinite(value):
        return False
    return (low <= value if inclusive else low < value) and value <= high


RELAX_OPTIONS = {
    "steps": (int, 1, 10_000, True),
    "max-iter": (int, 1, 10_000, True),
    "lr": (float, 0.0, 100.0, False),
    "chgnet-steps": (int, 1, 100_000, True),
}
