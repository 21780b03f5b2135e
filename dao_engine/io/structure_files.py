"""Read and write structure files by their name: CIF, POSCAR/CONTCAR, extended XYZ.

How a path is recognised (case-insensitive), first match wins:
    cif     ``*.cif`` (also ``*.cif.gz``)
    xyz     ``*.xyz`` and ``*.extxyz``
    poscar  names ending in ``.vasp`` / ``.poscar``, or starting with ``POSCAR`` or ``CONTCAR``
            (``POSCAR``, ``CONTCAR_relaxed``)

When reading, the content decides as well: a file whose text is plainly a CIF (a ``data_`` line)
is read as CIF whatever its name, and a file with an unknown name is read as what its first
lines look like. Every crystal read passes :func:`~dao_engine.crystal.sanity.check_crystal`
(real cell, size limits, no atoms closer than 0.5 Å).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from dao_engine.crystal.sanity import StructureLimits, check_crystal
from dao_engine.crystal.structure import Crystal
from dao_engine.errors import StructureParseError
from dao_engine.io._source import check_regular_file
from dao_engine.io.cif import parse_cif, read_cif, write_cif
from dao_engine.io.poscar import read_poscar, write_poscar
from dao_engine.io.sniff import peek_text, sniff_format
from dao_engine.io.xyz import read_xyz, write_xyz

__all__ = [
    "SUPPORTED_FORMATS",
    "detect_format",
    "read_structure",
    "read_structures",
    "write_structure",
]

_log = logging.getLogger(__name__)
Format = Literal["cif", "poscar", "xyz"]
#: Human-readable list of what :func:`detect_format` understands, for messages and file dialogs.
SUPPORTED_FORMATS = ".cif, POSCAR / CONTCAR / .vasp, .xyz / .extxyz"
_SUFFIXES: dict[str, Format] = {
    ".cif": "cif",
    ".vasp": "poscar",
    ".poscar": "poscar",
    ".xyz": "xyz",
    ".extxyz": "xyz",
}


def _read_one_poscar(path: Path) -> list[Crystal]:
    return [read_poscar(path)]


_READERS: dict[Format, Callable[[Path], list[Crystal]]] = {
    "cif": read_cif,
    "poscar": _read_one_poscar,
    "xyz": read_xyz,
}


def detect_format(path: str | Path) -> Format:
    """The format of ``path`` from its name (see the module docstring).

    Raises StructureParseError listing the supported formats for any other name.
    """
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if name.startswith(("poscar", "contcar")):
        return "poscar"
    raise StructureParseError(
        f"unsupported file type '{Path(path).name}'; supported: {SUPPORTED_FORMATS}"
    )


def format_of(path: Path) -> Format:
    """The format of an existing file: its name, unless the content plainly is a CIF or the name
    is unknown and the content looks like one of the formats (see the module docstring)."""
    sniffed = sniff_format(peek_text(path))
    try:
        named = detect_format(path)
    except StructureParseError:
        if sniffed is None:
            raise
        return sniffed  # type: ignore[return-value]
    return "cif" if sniffed == "cif" else named


def read_structures(path: str | Path) -> list[Crystal]:
    """All crystals in the file: every CIF data block, every XYZ frame, the one POSCAR cell.

    Raises StructureParseError ("no such file", unsupported type, malformed content, partial
    occupancy, ...), always naming the file.
    """
    path = Path(path)
    check_regular_file(path)
    fmt = format_of(path)
    if fmt == "cif":
        report = parse_cif(path, on_error="skip")
        for note in report.warnings:
            if note.startswith("skipped:"):
                _log.warning("%s", note)
        crystals = report.crystals
    else:
        crystals = _READERS[fmt](path)
    limits = StructureLimits.from_env()
    many = len(crystals) > 1
    return [
        check_crystal(c, f"{path}" + (f" ({c.label})" if many else ""), limits) for c in crystals
    ]


def read_structure(path: str | Path) -> Crystal:
    """The first crystal of the file; see :func:`read_structures`."""
    return read_structures(path)[0]


def write_structure(
    crystal: Crystal,
    path: str | Path,
    fmt: Format | None = None,
    symmetrize: bool = True,
    symprec: float = 0.1,
) -> Path:
    """Write ``crystal`` to ``path`` and return the path.

    Args:
        fmt: "cif", "poscar" or "xyz"; None infers it from the file name.
        symmetrize: CIF only: write the detected space group and the symmetry-distinct sites
            of the refined conventional cell (``symprec`` in Å); False writes P1 as is.
            POSCAR and XYZ always hold the cell as is.

    Raises StructureParseError for an unknown ``fmt`` or file type; OSError when the file
    cannot be written.
    """
    path = Path(path)
    chosen = fmt if fmt is not None else detect_format(path)
    if chosen == "cif":
        write_cif(crystal, path, symmetrize=symmetrize, symprec=symprec)
    elif chosen == "poscar":
        write_poscar(crystal, path)
    elif chosen == "xyz":
        write_xyz(crystal, path)
    else:
        raise StructureParseError(
            f"unknown format '{chosen}'; choose 'cif', 'poscar' or 'xyz' ({SUPPORTED_FORMATS})"
        )
    return path
