"""Turn a path or an in-memory text into text plus a name for error messages (private helper)."""

from __future__ import annotations

import gzip
from pathlib import Path

from dao_engine.errors import StructureParseError

_GZIP_MAGIC = b"\x1f\x8b"


def is_inline_text(source: str | Path) -> bool:
    """True when ``source`` is file content rather than a path: a ``str`` with a line break."""
    return isinstance(source, str) and "\n" in source


def file_stem(source: str | Path) -> str:
    """File name without its extension(s): ``NaCl.cif.gz`` -> ``NaCl``, ``POSCAR`` -> ``POSCAR``."""
    name = Path(source).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return Path(name).stem


def load_text(source: str | Path, kind: str) -> tuple[str, str]:
    """Return (text, name) for a path or for inline text (a ``str`` containing a newline).

    ``kind`` ("CIF", "POSCAR", ...) only words the errors. Gzipped files are decompressed;
    bytes that are not UTF-8 are replaced (old CIFs carry Latin-1 comments). Raises
    StructureParseError for a missing file, a folder, an unreadable or binary file.
    """
    if is_inline_text(source):
        return str(source), f"<{kind} text>"
    path = Path(source)
    if not path.exists():
        raise StructureParseError(f"no such file: {path}")
    if path.is_dir():
        raise StructureParseError(f"{path} is a folder, not a {kind} file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StructureParseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise StructureParseError(f"{path}: corrupt gzip data ({exc})") from exc
    if b"\x00" in data[:65536]:
        raise StructureParseError(f"{path}: binary data, not a {kind} text file")
    return data.decode("utf-8", errors="replace"), str(path)
