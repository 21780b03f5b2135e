"""VASP POSCAR / CONTCAR files (VASP 5 layout, with the line of element symbols).

Layout read here (line numbers 1-based)::

    1  comment (becomes the crystal label)
    2  scale: one number s (s > 0 multiplies the lattice; s < 0 is the cell volume in Å³)
       or three numbers (per-axis factors, VASP 6)
    3-5  lattice vectors a, b, c (rows, Å before scaling)
    6  element symbols, e.g. ``Na Cl`` (POTCAR suffixes such as ``Si_pv`` or ``Si/1a2b`` are cut)
    7  counts per element, e.g. ``4 4``
    [  ``Selective dynamics`` (any line starting with S/s)  ]
    8  ``Direct`` or ``Cartesian`` (C/c/K/k): coordinate mode
    9…  one position per atom; extra columns (``T T F``, labels) are ignored

Anything after the positions (velocities, predictor-corrector data of a CONTCAR) is ignored.
VASP 4 files (no symbol line) are rejected with an explanation, not guessed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dao_engine.crystal.elements import atomic_number, element_symbol, is_element
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import StructureParseError
from dao_engine.io._source import file_stem, is_inline_text, load_text
from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.readback import check_readback

__all__ = ["read_poscar", "write_poscar", "poscar_text"]


def read_poscar(source: str | Path) -> Crystal:
    """The crystal of a POSCAR file (a path) or POSCAR text (a string with a newline).

    Raises StructureParseError naming the file and line for a malformed file.
    """
    text, name = load_text(source, "POSCAR")
    lines = text.splitlines()
    reader = _Lines(lines, name)
    comment = lines[0].strip() if lines else ""
    lattice = _read_lattice(reader)
    symbols, counts = _read_species(reader)
    line = reader.next("coordinate mode ('Direct' or 'Cartesian')")
    if line.strip()[:1] in ("S", "s"):  # selective dynamics
        line = reader.next("coordinate mode ('Direct' or 'Cartesian')")
    cartesian = line.strip()[:1] in ("C", "c", "K", "k")
    positions = _read_positions(reader, sum(counts))
    if cartesian:
        positions = positions * reader.scale @ np.linalg.inv(lattice)
    species = [atomic_number(s) for s, n in zip(symbols, counts, strict=True) for _ in range(n)]
    label = comment or ("" if is_inline_text(source) else file_stem(source))
    return Crystal(lattice, positions, np.array(species), label)


def poscar_text(crystal: Crystal, comment: str | None = None) -> str:
    """POSCAR text (VASP 5, Direct coordinates, scale 1.0), proven to read back.

    Atoms are grouped by element in order of first appearance, as VASP requires, so the atom
    order changes when the crystal lists elements interleaved. The text is read back with
    :func:`read_poscar` and compared with the (grouped) crystal; WriteBackError if it differs.
    """
    order = _grouped_order(crystal.species)
    grouped = Crystal(crystal.lattice, crystal.frac[order], crystal.species[order], crystal.label)
    text = _text(grouped, comment)
    check_readback(lambda: [read_poscar(text)], [grouped], "POSCAR")
    return text


def _text(crystal: Crystal, comment: str | None) -> str:
    """The POSCAR lines of a crystal whose atoms are already grouped by element."""
    symbols: list[str] = []
    counts: list[int] = []
    for z in crystal.species:
        symbol = element_symbol(int(z))
        if symbols and symbols[-1] == symbol:
            counts[-1] += 1
        else:
            symbols.append(symbol)
            counts.append(1)
    head = (comment if comment is not None else crystal.label) or crystal.formula()
    out = [" ".join(head.split()), "1.0"]
    out += ["  " + " ".join(f"{x:20.14f}" for x in row) for row in crystal.lattice]
    out += ["  " + " ".join(f"{s:>4}" for s in symbols), "  " + " ".join(f"{n:>4}" for n in counts)]
    out.append("Direct")
    out += ["  " + " ".join(f"{x:18.14f}" for x in row) for row in crystal.frac]
    return "\n".join(out) + "\n"


def write_poscar(crystal: Crystal, path: str | Path, comment: str | None = None) -> str:
    """Write :func:`poscar_text` to ``path`` (UTF-8, atomically: temp file + rename) and return
    the text. WriteBackError (nothing written) when the text would not read back as ``crystal``;
    OSError when the file cannot be written."""
    text = poscar_text(crystal, comment)
    write_text_atomic(path, text)
    return text


class _Lines:
    """Cursor over the lines of one file, with errors that name the file and line number."""

    def __init__(self, lines: list[str], name: str) -> None:
        self.lines = lines
        self.name = name
        self.index = 1  # the comment line is consumed by the caller
        self.scale: float | np.ndarray = 1.0

    def next(self, what: str) -> str:
        if self.index >= len(self.lines):
            raise StructureParseError(f"{self.name}: file ends before the {what} (truncated?)")
        self.index += 1
        return self.lines[self.index - 1]

    def floats(self, what: str, count: int) -> list[float]:
        """The first ``count`` numbers of the next line."""
        line = self.next(what)
        parts = line.split()[:count]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != count or not np.isfinite(values).all():
            raise self.error(f"expected {count} numbers for the {what}, got '{line.strip()}'")
        return values

    def error(self, what: str) -> StructureParseError:
        return StructureParseError(f"{self.name}, line {self.index}: {what}")


def _read_lattice(reader: _Lines) -> np.ndarray:
    """(3, 3) lattice rows in Å after applying the scale line."""
    tokens = reader.next("scale factor").split()
    count = 3 if len(tokens) >= 3 and _all_numbers(tokens[:3]) else 1
    if not tokens or not _all_numbers(tokens[:count]):
        raise reader.error(f"expected the scale factor, got '{' '.join(tokens)}'")
    scale = np.array([float(t) for t in tokens[:count]])
    rows = np.array([reader.floats(f"lattice vector {v}", 3) for v in "abc"])
    volume = float(abs(np.linalg.det(rows)))
    if volume < 1e-12:
        raise reader.error("the lattice vectors are linearly dependent (zero cell volume)")
    if count == 1 and scale[0] < 0:  # a negative scale is the wanted volume in Å³
        scale = np.array([(-scale[0] / volume) ** (1.0 / 3.0)])
    elif (scale <= 0).any():
        raise reader.error(f"the scale factor must be positive or a negative volume, got {scale}")
    reader.scale = scale[0] if count == 1 else scale
    return rows * (scale[0] if count == 1 else scale[None, :])


def _read_species(reader: _Lines) -> tuple[list[str], list[int]]:
    line = reader.next("element symbols")
    tokens = line.split()
    if tokens and _all_numbers(tokens):
        raise reader.error(
            "no line of element symbols: this is a VASP 4 POSCAR; add a line such as 'Na Cl' "
            "above the atom counts (VASP 5 format)"
        )
    symbols = [t.split("_")[0].split("/")[0] for t in tokens]
    unknown = [t for t, s in zip(tokens, symbols, strict=True) if not is_element(s)]
    if not symbols or unknown:
        raise reader.error(f"unknown element symbol(s) {unknown or [line.strip()]}")
    count_line = reader.next("atom counts")
    try:
        counts = [int(t) for t in count_line.split()]
    except ValueError:
        counts = []
    if len(counts) != len(symbols) or min(counts, default=0) < 1:
        raise reader.error(
            f"expected {len(symbols)} positive atom counts for {symbols}, "
            f"got '{count_line.strip()}'"
        )
    return symbols, counts


def _read_positions(reader: _Lines, num_atoms: int) -> np.ndarray:
    """(N, 3) coordinates as written (fractional, or Cartesian before scaling)."""
    return np.array([reader.floats(f"position of atom {i + 1}", 3) for i in range(num_atoms)])


def _all_numbers(tokens: list[str]) -> bool:
    try:
        [float(t) for t in tokens]
    except ValueError:
        return False
    return True


def _grouped_order(species: np.ndarray) -> np.ndarray:
    """Stable permutation that groups equal atomic numbers in order of first appearance."""
    first_seen = {int(z): i for i, z in reversed(list(enumerate(species)))}
    keys = np.array([first_seen[int(z)] for z in species])
    return np.argsort(keys, kind="stable")
