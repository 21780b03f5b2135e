"""Cheap checks of a CIF data block before pymatgen parses it (private helper of ``cif.py``).

pymatgen takes minutes over a 20,000-atom file and then builds distance matrices of many GB;
counting the rows of the atom-site and symmetry loops takes milliseconds. The cell parameters
are checked as written, because pymatgen silently turns γ = 200° into 160° and a negative
length into a positive one.
"""

from __future__ import annotations

import re

from dao_engine.crystal.sanity import StructureLimits, check_cell_parameters
from dao_engine.errors import StructureParseError

__all__ = ["prescan_block"]

_CELL_KEYS = ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma")
_CELL_VALUE = {
    key: re.compile(rf"^[ \t]*_cell_{key}[ \t]+(\S+)", re.MULTILINE | re.IGNORECASE)
    for key in _CELL_KEYS
}
_NUMBER = re.compile(r"^[+-]?(nan|inf(inity)?|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)", re.IGNORECASE)
_SITE_TAGS = ("_atom_site_fract_", "_atom_site_cartn_")
_SYMOP_TAGS = ("_symmetry_equiv_pos_as_xyz", "_space_group_symop_operation_xyz")
#: Sites × operations above this multiple of the atom limit are refused before expansion.
_EXPANSION_FACTOR = 4


def prescan_block(block_text: str, where: str, limits: StructureLimits | None = None) -> None:
    """StructureParseError for a block with too many sites, or impossible cell parameters."""
    limits = limits or StructureLimits.from_env()
    sites, operations = _loop_rows(block_text)
    if sites > limits.max_atoms:
        raise StructureParseError(
            f"{where}: {sites} atom sites; at most {limits.max_atoms} atoms are supported "
            "(set DAO_MAX_ATOMS to raise the limit)"
        )
    if sites * max(operations, 1) > _EXPANSION_FACTOR * limits.max_atoms:
        raise StructureParseError(
            f"{where}: {sites} sites × {operations} symmetry operations would expand to far more "
            f"than {limits.max_atoms} atoms (set DAO_MAX_ATOMS to raise the limit)"
        )
    params = _cell_parameters(block_text)
    if params is not None:
        check_cell_parameters(params, where)


def _cell_parameters(block_text: str) -> tuple[float, ...] | None:
    """The six cell parameters as written (uncertainties dropped), None if any is missing."""
    values = []
    for key in _CELL_KEYS:
        found = _CELL_VALUE[key].search(block_text)
        number = _NUMBER.match(found.group(1)) if found else None
        if number is None:
            return None
        values.append(float(number.group(0)))
    return tuple(values)


def _loop_rows(block_text: str) -> tuple[int, int]:
    """Approximate row counts of the atom-site loop and of the symmetry-operation loop."""
    sites = operations = 0
    lines = block_text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip().lower() != "loop_":
            i += 1
            continue
        tags, i = _loop_tags(lines, i + 1)
        values, i = _loop_values(lines, i)
        rows = values // max(len(tags), 1)
        if any(tag.startswith(_SITE_TAGS) for tag in tags):
            sites = max(sites, rows)
        if any(tag in _SYMOP_TAGS for tag in tags):
            operations = max(operations, rows)
    return sites, operations


def _loop_tags(lines: list[str], i: int) -> tuple[list[str], int]:
    tags = []
    while i < len(lines) and lines[i].lstrip().startswith("_"):
        tags.append(lines[i].split()[0].lower())
        i += 1
    return tags, i


def _loop_values(lines: list[str], i: int) -> tuple[int, int]:
    """Number of whitespace-separated values up to the next tag, loop or block (quotes with
    spaces are rare in these loops; a symmetry operation ``'x, y, z'`` counts as one row)."""
    values = 0
    while i < len(lines):
        stripped = lines[i].strip()
        lowered = stripped.lower()
        if stripped.startswith("_") or lowered == "loop_" or lowered.startswith("data_"):
            break
        if stripped and not stripped.startswith("#"):
            values += len(_tokens(stripped))
        i += 1
    return values, i


_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|\S+")


def _tokens(line: str) -> list[str]:
    return _TOKEN.findall(line)
