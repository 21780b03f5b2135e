"""Guess a structure file's format from its first lines (private helper of structure_files)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from dao_engine.io._source import normalise_text

__all__ = ["peek_text", "sniff_format"]

_HEAD_BYTES = 8192
_CIF_BLOCK = re.compile(r"^[ \t]*data_\S*", re.MULTILINE | re.IGNORECASE)
_CIF_TAG = re.compile(r"^[ \t]*(_cell_|_atom_site_|_symmetry_|_space_group)", re.MULTILINE)


def peek_text(path: Path, size: int = _HEAD_BYTES) -> str:
    """The first ``size`` bytes of a regular file (gunzipped), as normalised text."""
    with path.open("rb") as handle:
        head = handle.read(size)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as unzipped:
                head = unzipped.read(size)
        except (OSError, EOFError):
            return ""
    return normalise_text(head.decode("utf-8", errors="replace"))


def sniff_format(text: str) -> str | None:
    """ "cif", "xyz" or "poscar" when the text plainly is one, else None."""
    if _CIF_BLOCK.search(text) and _CIF_TAG.search(text):
        return "cif"
    lines = [line.strip() for line in text.split("\n")]
    if len(lines) > 2 and lines[0].isdigit() and "lattice=" in lines[1].lower():
        return "xyz"
    if len(lines) > 7 and _numbers(lines[1], (1, 3)) and all(_numbers(x, (3,)) for x in lines[2:5]):
        return "poscar"
    return None


def _numbers(line: str, counts: tuple[int, ...]) -> bool:
    tokens = line.split()
    if len(tokens) < min(counts):
        return False
    try:
        [float(t) for t in tokens[: max(counts)]]
    except ValueError:
        return False
    return len(tokens) in counts or len(tokens) >= max(counts)
