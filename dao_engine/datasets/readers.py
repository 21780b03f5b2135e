"""Readers for the text formats in the shared data folder.

Each reader returns ``(CrystalArrays, ReadReport)``. ``limit`` caps the number of *entries* taken
from the source, in source order, before parsing (skipped entries count toward it).
``processes > 1`` parses in a process pool. Readers never extract archives to disk.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.parsing import RawEntry, ReadReport, parse_entries
from dao_engine.errors import DatasetError

Labels = Mapping[str, Mapping[str, float]]
_INDEX_COLUMNS = ("", "Unnamed: 0", "index")


def to_float(value: object) -> float:
    """A label value as float; empty, ``None`` and non-numeric text become NaN."""
    if value is None or value == "":
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _open_text(path: Path) -> io.TextIOBase:
    if not path.is_file():
        raise DatasetError(f"dataset file {path} does not exist; check DAO_DATA_ROOT")
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", newline="")  # type: ignore[return-value]
    return open(path, encoding="utf-8", newline="")  # type: ignore[return-value]


def iter_csv_rows(path: str | Path) -> Iterator[dict[str, str]]:
    """Rows of a (possibly gzipped) CSV as dicts; CIF cells may be megabytes long."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with _open_text(Path(path)) as handle:
        try:
            yield from csv.DictReader(handle)
        except csv.Error as exc:
            raise DatasetError(f"{path} is not a valid CSV file: {exc}") from exc


def read_csv_labels(
    path: str | Path,
    id_column: str,
    columns: Sequence[str],
    where: Callable[[dict[str, str]], bool] | None = None,
) -> dict[str, dict[str, float]]:
    """``{id: {column: float}}`` from a CSV, without parsing any structure."""
    out: dict[str, dict[str, float]] = {}
    for row in iter_csv_rows(path):
        if where is None or where(row):
            _require_columns(path, row, [id_column, *columns])
            out[row[id_column]] = {c: to_float(row[c]) for c in columns}
    return out


def _require_columns(path: str | Path, row: Mapping[str, str], columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in row]
    if missing:
        raise DatasetError(f"{path} lacks the columns {missing}; it has {sorted(row)}")


def read_cdvae_csv(
    path: str | Path,
    *,
    id_column: str = "material_id",
    cif_column: str = "cif",
    label_columns: Sequence[str] | None = None,
    energy_column: str | None = None,
    where: Callable[[dict[str, str]], bool] | None = None,
    limit: int | None = None,
    processes: int = 1,
) -> tuple[CrystalArrays, ReadReport]:
    """Read a CDVAE-style CSV (plain or gzip) whose ``cif_column`` holds whole CIFs.

    ``label_columns=None`` keeps every other column whose values all read as numbers.
    ``energy_column`` (eV/atom) becomes the ``energy`` array. ``where`` filters rows.
    """
    rows: list[dict[str, str]] = []
    for row in iter_csv_rows(path):
        if limit is not None and len(rows) >= limit:
            break
        if where is None or where(row):
            rows.append(row)
    if rows:
        _require_columns(path, rows[0], [id_column, cif_column])
    if label_columns is None:
        label_columns = _numeric_columns(rows, exclude=(id_column, cif_column, *_INDEX_COLUMNS))
    wanted = list(dict.fromkeys([*label_columns, *([energy_column] if energy_column else [])]))
    if rows:
        _require_columns(path, rows[0], wanted)
    entries = [
        RawEntry(row[id_column], row[cif_column], "cif", {c: to_float(row[c]) for c in wanted})
        for row in rows
    ]
    return parse_entries(entries, str(path), processes=processes, energy_key=energy_column)


def _numeric_columns(rows: Sequence[Mapping[str, str]], exclude: Sequence[str]) -> list[str]:
    """Columns (other than ``exclude``) whose every non-empty value parses as a float."""
    if not rows:
        return []
    names = [c for c in rows[0] if c not in exclude]
    return [c for c in names if all(_is_float_text(r[c]) for r in rows)]


def _is_float_text(text: str) -> bool:
    if text == "":
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_jarvis_json_zip(
    path: str | Path,
    split: str,
    *,
    labels: Labels | None = None,
    energy_column: str | None = None,
    limit: int | None = None,
    processes: int = 1,
) -> tuple[CrystalArrays, ReadReport]:
    """Read one split of a JARVIS-leaderboard ``*.json.zip`` whose values are POSCAR strings.

    The archive holds one JSON ``{"train": {id: poscar}, "val": ..., "test": ...}``; POSCARs use
    literal ``\\n`` escapes. ``labels`` ({id: {name: value}}) are joined by id (NaN if absent).
    """
    table = read_json_zip(path)
    if split not in table:
        raise DatasetError(f"{path} has no split '{split}'; it has {sorted(table)}")
    items = list(table[split].items())[:limit]
    names = sorted({k for row in (labels or {}).values() for k in row})
    entries = []
    for key, value in items:
        if not isinstance(value, str):
            raise DatasetError(
                f"{path}: values are {type(value).__name__}, not POSCAR strings; "
                "this looks like a property table, not an AtomGen structure set"
            )
        row = (labels or {}).get(key, {})
        entries.append(
            RawEntry(str(key), value, "poscar", {k: to_float(row.get(k)) for k in names})
        )
    return parse_entries(entries, f"{path}[{split}]", processes=processes, energy_key=energy_column)


def read_json_zip(path: str | Path) -> dict:
    """The single JSON document inside a JARVIS-leaderboard ``.json.zip``."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"dataset file {path} does not exist; check DAO_DATA_ROOT")
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".json")]
            if len(names) != 1:
                raise DatasetError(f"{path} should hold exactly one .json file, found {names}")
            data = json.loads(archive.read(names[0]))
    except (zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path} is not a zipped JSON file: {exc}") from exc
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected a JSON object of splits, got {type(data).__name__}")
    return data


def read_cif_files(
    paths: Sequence[str | Path],
    *,
    ids: Sequence[str] | None = None,
    labels: Labels | None = None,
    energy_column: str | None = None,
    limit: int | None = None,
    processes: int = 1,
    source: str = "cif files",
) -> tuple[CrystalArrays, ReadReport]:
    """Read CIF files; ids default to the file stems; ``labels`` are keyed by those ids."""
    paths = [Path(p) for p in paths][:limit]
    ids = [Path(p).stem for p in paths] if ids is None else list(ids)[: len(paths)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise DatasetError(f"{len(missing)} CIF files are missing, e.g. {missing[0]}")
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in paths]
    return _entries_from_texts(ids, texts, labels, energy_column, processes, source)


def read_cif_folder(
    folder: str | Path,
    *,
    names: Sequence[str] | None = None,
    labels: Labels | None = None,
    energy_column: str | None = None,
    limit: int | None = None,
    processes: int = 1,
) -> tuple[CrystalArrays, ReadReport]:
    """Read ``names`` (file names) from ``folder``, or every ``*.cif`` in it in sorted order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"CIF folder {folder} does not exist; check DAO_DATA_ROOT")
    paths = [folder / n for n in names] if names is not None else sorted(folder.glob("*.cif"))
    return read_cif_files(
        paths,
        labels=labels,
        energy_column=energy_column,
        limit=limit,
        processes=processes,
        source=str(folder),
    )


def read_cif_tarball(
    path: str | Path,
    *,
    select: Callable[[str], str | None] | None = None,
    labels: Labels | None = None,
    energy_column: str | None = None,
    limit: int | None = None,
    processes: int = 1,
) -> tuple[CrystalArrays, ReadReport]:
    """Read CIFs straight out of a (compressed) tarball, in archive order.

    ``select(basename)`` returns the id to use for a member, or None to leave it out; by default
    every ``*.cif`` is taken with its stem as id. Members are streamed (xz has no random access).
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"tarball {path} does not exist; check DAO_DATA_ROOT")
    ids: list[str] = []
    texts: list[str] = []
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if limit is not None and len(ids) >= limit:
                    break
                base = PurePosixPath(member.name).name
                if not member.isfile() or not base.endswith(".cif"):
                    continue
                key = PurePosixPath(base).stem if select is None else select(base)
                if key is None:
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    ids.append(key)
                    texts.append(handle.read().decode("utf-8", errors="replace"))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetError(f"cannot read tarball {path}: {exc}") from exc
    return _entries_from_texts(ids, texts, labels, energy_column, processes, str(path))


def _entries_from_texts(
    ids: Sequence[str],
    texts: Sequence[str],
    labels: Labels | None,
    energy_column: str | None,
    processes: int,
    source: str,
) -> tuple[CrystalArrays, ReadReport]:
    names = sorted({k for row in (labels or {}).values() for k in row})
    entries = [
        RawEntry(key, text, "cif", {k: to_float((labels or {}).get(key, {}).get(k)) for k in names})
        for key, text in zip(ids, texts, strict=True)
    ]
    return parse_entries(entries, source, processes=processes, energy_key=energy_column)
