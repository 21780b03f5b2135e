"""Export candidates to structure files (Qt-free): CIF (symmetrized or P1), POSCAR, extended XYZ."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from dao_app.state.candidates import CandidateRecord
from dao_engine import api

#: format → (file suffix, label for menus and file dialogs)
FORMATS: dict[str, tuple[str, str]] = {
    "cif": (".cif", "CIF"),
    "poscar": (".vasp", "POSCAR (VASP)"),
    "xyz": (".extxyz", "Extended XYZ"),
}


def file_filter(fmt: str) -> str:
    """A Qt file-dialog filter for one format, e.g. ``CIF (*.cif)``."""
    suffix, label = FORMATS[fmt]
    return f"{label} (*{suffix})"


def format_for_filter(name_filter: str) -> str:
    """The format whose :func:`file_filter` is ``name_filter`` (CIF when unknown)."""
    return next((fmt for fmt in FORMATS if file_filter(fmt) == name_filter), "cif")


def safe_name(record: CandidateRecord) -> str:
    """A file-name stem such as ``NaCl_3`` (only letters, digits, ``_`` and ``-``)."""
    stem = f"{record.crystal.formula(reduced=True)}_{record.uid}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem)


def export_one(
    record: CandidateRecord,
    path: str | Path,
    fmt: str | None = None,
    symmetrize: bool = True,
    symprec: float = api.DEFAULT_SYMPREC,
) -> Path:
    """Write one candidate; ``fmt`` None infers the format from the file name.

    Raises ``api.StructureParseError`` for an unknown format and OSError when the file cannot
    be written.
    """
    crystal = record.crystal.with_label(record.name)
    return api.write_structure(crystal, path, fmt=fmt, symmetrize=symmetrize, symprec=symprec)


def export_many(
    records: Sequence[CandidateRecord],
    directory: str | Path,
    fmt: str = "cif",
    symmetrize: bool = True,
    symprec: float = api.DEFAULT_SYMPREC,
) -> list[Path]:
    """Write each candidate to ``directory/<formula>_<uid><suffix>``; returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = FORMATS[fmt][0]
    return [
        export_one(r, directory / f"{safe_name(r)}{suffix}", fmt, symmetrize, symprec)
        for r in records
    ]
