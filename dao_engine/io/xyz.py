"""Extended XYZ (the ASE / QUIP flavour) for periodic crystals, one or many frames.

One frame::

    2
    Lattice="4.12 0 0 0 4.12 0 0 0 4.12" Properties=species:S:1:pos:R:3 pbc="T T T" energy=-3.1
    Cs 0.000 0.000 0.000
    Cl 2.060 2.060 2.060

``Lattice`` holds the rows a, b, c (Å, 9 numbers); positions are Cartesian in Å. ``Properties``
may list more columns (forces, tags, ...), which are skipped; atoms may be given by symbol
(``species:S``) or atomic number (``Z:I``). Other ``key=value`` pairs of the comment line
become :attr:`Crystal.properties` (numbers as float, the rest as str); ``label=`` is the label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER, atomic_number, element_symbol, is_element
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import StructureParseError
from dao_engine.io._source import file_stem, is_inline_text, load_text
from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.readback import check_readback

__all__ = ["read_xyz", "write_xyz", "xyz_text"]

_PAIR = re.compile(r"""\s*([^\s="]+|"[^"]*")\s*(?:=\s*("(?:[^"\\]|\\.)*"|\S+))?""")
_RESERVED = {"lattice", "properties", "pbc", "label"}
_KEY = re.compile(r"^[A-Za-z_][\w.\-]*$")
_ESCAPED = re.compile(r'\\(["\\])')  # \" and \\ inside a quoted value


def read_xyz(source: str | Path) -> list[Crystal]:
    """All frames of an extended-XYZ file (a path) or text (a string with a newline).

    Raises StructureParseError naming the file and line for a missing ``Lattice``, a
    non-periodic frame (``pbc`` not all true), a short frame or an unknown element.
    """
    text, name = load_text(source, "XYZ")
    lines = text.splitlines()
    crystals: list[Crystal] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        crystal, index = _read_frame(lines, index, name)
        crystals.append(crystal)
    if not crystals:
        raise StructureParseError(f"{name}: no frames (the file is empty)")
    if not is_inline_text(source):
        stem = file_stem(source)
        names = [stem] if len(crystals) == 1 else [f"{stem}:{i}" for i in range(len(crystals))]
        crystals = [c if c.label else c.with_label(n) for c, n in zip(crystals, names, strict=True)]
    return crystals


def xyz_text(crystals: Crystal | Sequence[Crystal]) -> str:
    """Extended-XYZ text, one frame per crystal (positions Cartesian in Å, 10 decimals).

    Scalar properties (numbers, bools, strings) go to the comment line; other values and keys
    that are not identifiers are not written. The text is read back with :func:`read_xyz` and
    compared with ``crystals`` (species, lattice, positions); WriteBackError if it differs.
    """
    frames = [crystals] if isinstance(crystals, Crystal) else list(crystals)
    text = "".join(_frame_text(crystal) for crystal in frames)
    if frames:
        check_readback(lambda: read_xyz(text), frames, "XYZ")
    return text


def write_xyz(crystals: Crystal | Sequence[Crystal], path: str | Path) -> str:
    """Write :func:`xyz_text` to ``path`` (UTF-8, atomically: temp file + rename) and return
    the text. WriteBackError (nothing written) when the text would not read back as the
    crystals; OSError when the file cannot be written."""
    text = xyz_text(crystals)
    write_text_atomic(path, text)
    return text


def _frame_text(crystal: Crystal) -> str:
    lattice = " ".join(f"{x:.10f}" for x in crystal.lattice.reshape(-1))
    info = [f'Lattice="{lattice}"', "Properties=species:S:1:pos:R:3", 'pbc="T T T"']
    if crystal.label:
        info.append(f"label={_quote(crystal.label)}")
    for key, value in crystal.properties.items():
        if _KEY.match(key) and key.lower() not in _RESERVED:
            if isinstance(value, (bool, np.bool_)):
                info.append(f"{key}={'T' if value else 'F'}")
            elif isinstance(value, (int, float, np.integer, np.floating)):
                info.append(f"{key}={float(value)!r}")
            elif isinstance(value, str):
                info.append(f"{key}={_quote(value)}")
    rows = [
        f"{element_symbol(int(z)):<3}" + "".join(f" {x:18.10f}" for x in xyz)
        for z, xyz in zip(crystal.species, crystal.cartesian, strict=True)
    ]
    return "\n".join([str(crystal.num_atoms), " ".join(info), *rows]) + "\n"


def _read_frame(lines: list[str], index: int, name: str) -> tuple[Crystal, int]:
    """Parse the frame starting at ``lines[index]``; return it and the index after it."""
    where = f"{name}, line {index + 1}"
    try:
        num_atoms = int(lines[index].split()[0])
    except ValueError:
        raise StructureParseError(
            f"{where}: expected the number of atoms, got '{lines[index].strip()}'"
        ) from None
    if num_atoms < 1 or index + 2 + num_atoms > len(lines):
        raise StructureParseError(
            f"{where}: a frame of {num_atoms} atoms needs {num_atoms + 2} lines, "
            f"the file has {len(lines) - index} left (truncated?)"
        )
    info = _parse_info(lines[index + 1])
    lattice = _lattice(info, f"{name}, line {index + 2}")
    species_col, pos_col, width = _columns(info.get("properties"), f"{name}, line {index + 2}")
    species, cartesian = [], np.zeros((num_atoms, 3))
    for i in range(num_atoms):
        line_no = index + 3 + i
        cols = lines[line_no - 1].split()
        if len(cols) < width:
            raise StructureParseError(
                f"{name}, line {line_no}: expected {width} columns, got {len(cols)}"
            )
        species.append(_atomic_number(cols[species_col], f"{name}, line {line_no}"))
        cartesian[i] = _floats(cols[pos_col : pos_col + 3], f"{name}, line {line_no}")
    frac = cartesian @ np.linalg.inv(lattice)
    label = str(info.get("label", ""))
    extra = {k: _scalar(v) for k, v in info.items() if k.lower() not in _RESERVED}
    return Crystal(lattice, frac, np.array(species), label, extra), index + 2 + num_atoms


def _parse_info(line: str) -> dict[str, str]:
    """``key=value`` pairs of the comment line (quotes removed); a bare word means ``T``."""
    info: dict[str, str] = {}
    for match in _PAIR.finditer(line):
        key, value = match.group(1).strip('"'), match.group(2)
        if not key:
            continue
        lower = key.lower()
        if value is None:
            if lower not in _RESERVED:  # a bare flag; "lattice" in prose is not a Lattice
                info[key] = "T"
            continue
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = _ESCAPED.sub(r"\1", value[1:-1])
        info[lower if lower in _RESERVED else key] = value
    return info


def _lattice(info: dict[str, str], where: str) -> np.ndarray:
    if "lattice" not in info:
        raise StructureParseError(
            f'{where}: no Lattice="..." in the comment line; a crystal needs its 3 lattice '
            "vectors (9 numbers, Å) - plain XYZ files of molecules are not supported"
        )
    pbc = info.get("pbc", "T T T").split()
    if [p.upper() for p in pbc] not in (["T", "T", "T"], ["TRUE"] * 3, ["1", "1", "1"]):
        raise StructureParseError(
            f'{where}: pbc="{" ".join(pbc)}"; only crystals periodic in all three directions '
            "are supported"
        )
    values = _floats(info["lattice"].split(), where, count=9, what="Lattice")
    lattice = np.array(values).reshape(3, 3)
    if abs(np.linalg.det(lattice)) < 1e-12:
        raise StructureParseError(f"{where}: the Lattice vectors have zero volume")
    return lattice


def _columns(properties: str | None, where: str) -> tuple[int, int, int]:
    """(species column, first position column, total columns) from a ``Properties`` string."""
    spec = (properties or "species:S:1:pos:R:3").split(":")
    if len(spec) % 3:
        raise StructureParseError(f"{where}: malformed Properties={properties}")
    columns: dict[str, int] = {}
    offset = 0
    for name, kind, count in zip(spec[::3], spec[1::3], spec[2::3], strict=True):
        if not count.isdigit():
            raise StructureParseError(f"{where}: malformed Properties={properties}")
        columns[f"{name.lower()}:{kind.upper()}"] = offset
        offset += int(count)
    species = columns.get("species:S", columns.get("z:I"))
    if species is None or "pos:R" not in columns:
        raise StructureParseError(
            f"{where}: Properties={properties} lacks species:S (or Z:I) and pos:R:3 columns"
        )
    return species, columns["pos:R"], offset


def _atomic_number(token: str, where: str) -> int:
    if is_element(token):
        return atomic_number(token)
    if token.isdigit() and 1 <= int(token) <= MAX_ATOMIC_NUMBER:
        return int(token)
    raise StructureParseError(f"{where}: unknown element '{token}'")


def _floats(tokens: list[str], where: str, count: int = 3, what: str = "position") -> list[float]:
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        values = []
    if len(values) != count or not np.isfinite(values).all():
        raise StructureParseError(f"{where}: expected {count} numbers for the {what}, got {tokens}")
    return values


def _scalar(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value


def _quote(value: str) -> str:
    """``value`` in double quotes on one line (every kind of line break becomes a space), with
    ``\\`` and ``"`` escaped as the reader expects."""
    one_line = " ".join(value.splitlines())
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'
