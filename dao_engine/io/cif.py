"""Read and write CIF files through pymatgen, with one error type and collected warnings.

Reading applies the symmetry operations of each data block (or the space-group symbol when
no operations are listed) and keeps the cell as written (``primitive=False``). Every failure
becomes :class:`~dao_engine.errors.StructureParseError` naming the file, the data block and
what failed; pymatgen's warnings are collected in :class:`CifReport` instead of printed.

CIF stores lattice *parameters*, not vectors: a crystal read back from a CIF has pymatgen's
standard orientation (a along x, b in the xy plane) and the same a, b, c, α, β, γ.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import StructureParseError
from dao_engine.io._source import file_stem, is_inline_text, load_text
from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.cif_prescan import prescan_block
from dao_engine.io.cif_symmetry import WrittenCif, build_cif
from dao_engine.io.convert import crystal_from_structure

if TYPE_CHECKING:
    from pymatgen.core import Structure

__all__ = [
    "CifReport",
    "WrittenCif",
    "block_name",
    "parse_cif",
    "read_cif",
    "write_cif",
    "write_cif_checked",
]

_log = logging.getLogger(__name__)
_BLOCK_START = re.compile(r"^[ \t]*data_", flags=re.MULTILINE)
_CELL_FIELDS = tuple(
    f"_cell_{name}"
    for name in ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma")
)
_NO_STRUCTURE = "Invalid CIF file with no structures"
_STRUCTURE_HINT = "a CIF needs _cell_length_a/b/c, _cell_angle_* and an _atom_site_fract_x/y/z loop"


@dataclass(frozen=True)
class CifReport:
    """What :func:`parse_cif` found.

    Attributes:
        crystals: one ordered :class:`Crystal` per data block that holds a structure.
        warnings: pymatgen's remarks (repaired fields, stoichiometry mismatch, ...) and the
            reasons for blocks that were skipped, each prefixed with the block name.
    """

    crystals: list[Crystal]
    warnings: list[str] = field(default_factory=list)


def read_cif(source: str | Path, *, on_error: Literal["raise", "skip"] = "raise") -> list[Crystal]:
    """Crystals of all data blocks of a CIF file (a path) or of CIF text (a string with a newline).

    ``on_error="skip"`` drops blocks that fail (partial occupancy, missing fields, ...) as long
    as one block succeeds; see :func:`parse_cif` for the reasons.
    """
    return parse_cif(source, on_error=on_error).crystals


def parse_cif(source: str | Path, *, on_error: Literal["raise", "skip"] = "raise") -> CifReport:
    """Parse a CIF into crystals plus the warnings met on the way.

    Raises StructureParseError for a missing or binary file, text without a ``data_`` block,
    a block that cannot be read (with ``on_error="raise"``) or when no block holds a structure.
    Partial occupancy raises an error containing "partial occupancy".
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    text, name = load_text(source, "CIF")
    blocks = _split_blocks(text)
    if not blocks:
        raise StructureParseError(f"{name}: no 'data_' block found; this is not a CIF file")
    crystals: list[Crystal] = []
    notes: list[str] = []
    for header, block_text in blocks:
        where = f"{name}, block 'data_{header}'"
        try:
            crystal, block_notes = _parse_block(block_text, where)
        except StructureParseError as exc:
            if on_error == "raise":
                raise
            notes.append(f"skipped: {exc}")
            continue
        notes.extend(f"{where}: {note}" for note in block_notes)
        if crystal is not None:
            label = _label(source, header, len(blocks))
            crystals.append(crystal.with_label(label))
    skipped = [note for note in notes if note.startswith("skipped: ")]
    if not crystals and len(skipped) == 1:  # one broken block: its own message, not a summary
        raise StructureParseError(skipped[0].removeprefix("skipped: "))
    if not crystals:
        reasons = "; ".join(notes) if notes else _STRUCTURE_HINT
        raise StructureParseError(f"{name}: no crystal structure could be read ({reasons})")
    return CifReport(crystals, notes)


def write_cif(
    crystal: Crystal,
    path: str | Path | None = None,
    symmetrize: bool = True,
    symprec: float = 0.1,
    angle_tolerance: float = 5.0,
) -> str:
    """CIF text of ``crystal``; also written to ``path`` when given (atomically, UTF-8).

    With ``symmetrize`` the space group is detected (``symprec`` in Å, ``angle_tolerance`` in
    degrees) and the *refined conventional* cell is written as its symmetry-distinct sites plus
    the symmetry operations, so the atom count may differ from the input (a primitive cell
    comes back conventional). The text is read back before it is kept: when detection fails or
    the file would not read back as the same crystal, every atom is written in P1 and the reason
    is a ``#`` comment at the top (and a logged warning). See :func:`write_cif_checked` for the
    cell the file holds. OSError when the file cannot be written.
    """
    return write_cif_checked(crystal, path, symmetrize, symprec, angle_tolerance).text


def write_cif_checked(
    crystal: Crystal,
    path: str | Path | None = None,
    symmetrize: bool = True,
    symprec: float = 0.1,
    angle_tolerance: float = 5.0,
) -> WrittenCif:
    """As :func:`write_cif`, returning the text with the cell it holds and its space group."""
    written = build_cif(crystal, symmetrize, symprec, angle_tolerance)
    if path is not None:
        write_text_atomic(path, written.text)
    return written


def _split_blocks(text: str) -> list[tuple[str, str]]:
    """(block name, block text starting with ``data_``) for every data block."""
    starts = [m.start() for m in _BLOCK_START.finditer(text)]
    ends = [*starts[1:], len(text)]
    blocks: list[tuple[str, str]] = []
    for begin, end in zip(starts, ends[: len(starts)], strict=True):
        block = text[begin:end].lstrip()
        header = block[5:].split(maxsplit=1)[0] if block[5:].strip() else ""
        blocks.append((header, block))
    return blocks


def _parse_block(block_text: str, where: str) -> tuple[Crystal | None, list[str]]:
    """One ordered crystal (None for a block without cell and sites) and pymatgen's warnings."""
    from pymatgen.io.cif import CifParser

    if not _has_structure_fields(block_text):
        return None, ["no cell or atom sites; block skipped"]
    prescan_block(block_text, where)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parser = CifParser.from_str(block_text)
            structures = parser.parse_structures(primitive=False, on_error="raise")
        except Exception as exc:  # pymatgen raises ValueError, KeyError, IndexError, ...
            missing = [key for key in _CELL_FIELDS if key not in block_text.lower()]
            reason = f"missing {', '.join(missing)}" if missing else _explain(exc)
            raise StructureParseError(f"{where}: {reason}") from exc
    notes = _warning_texts(caught)
    return _to_crystal(structures[0], where), notes


def _has_structure_fields(block_text: str) -> bool:
    lowered = block_text.lower()
    return "_cell_length" in lowered or "_atom_site" in lowered


def _explain(exc: Exception) -> str:
    """One line about a pymatgen failure, without its "section 1" preamble."""
    if isinstance(exc, ZeroDivisionError) or "zip()" in str(exc):
        return "a loop_ has fewer values than its columns need; is the file truncated?"
    if isinstance(exc, KeyError):
        return f"missing field {exc}; {_STRUCTURE_HINT}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("No structure parsed for section")]
    text = " ".join(lines) or type(exc).__name__
    if _NO_STRUCTURE in text:
        return f"no structure found; {_STRUCTURE_HINT}"
    return f"could not read the structure: {text} ({type(exc).__name__})"


def _warning_texts(caught: list[warnings.WarningMessage]) -> list[str]:
    texts = []
    for item in caught:
        if issubclass(item.category, DeprecationWarning):
            continue
        text = " ".join(str(item.message).split())
        if text and text not in texts:
            texts.append(text)
    return texts


def _to_crystal(structure: Structure, where: str) -> Crystal:
    for index, site in enumerate(structure):
        if not site.is_ordered:
            raise StructureParseError(
                f"{where}: site {index + 1} ({site.species_string}) has partial occupancy; only "
                "ordered crystals are supported - pick one ordered configuration first"
            )
        z = getattr(site.specie, "Z", 0)
        if not 1 <= z <= MAX_ATOMIC_NUMBER:
            raise StructureParseError(
                f"{where}: site {index + 1} has species '{site.species_string}', which is not "
                f"an element with atomic number 1..{MAX_ATOMIC_NUMBER}"
            )
    return crystal_from_structure(structure)


def _label(source: str | Path, header: str, num_blocks: int) -> str:
    if is_inline_text(source):
        return header
    stem = file_stem(source)
    return stem if num_blocks == 1 else f"{stem}:{header}"


def block_name(crystal: Crystal) -> str:
    """A CIF block name: the label with whitespace replaced, or the reduced formula."""
    name = re.sub(r"\s+", "_", crystal.label.strip())
    return name or crystal.formula(reduced=True)
