"""Provenance data items in CIF text: ``_dao_model``, ``_dao_model_sha256``, ``_dao_seed`` ...

CIF allows any data name; readers that do not know one keep or ignore it (pymatgen's
``CifParser`` and ASE's ``ase.io.read`` both read such files to the same structure). The items
go right after each ``data_`` line, one per line, values quoted when they need it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

__all__ = ["PREFIX", "add_provenance", "file_sha256", "read_provenance"]

PREFIX = "_dao_"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_DATA_LINE = re.compile(r"^([ \t]*data_\S*[ \t]*)$", flags=re.MULTILINE)


def add_provenance(text: str, items: Mapping[str, object]) -> str:
    """``text`` with ``_dao_<key> value`` after every ``data_`` line (None values skipped).

    Keys are bare names (``"model"``) or full names (``"_dao_model"``); ValueError for a key
    that is not letters, digits and underscores.
    """
    lines = []
    for key, value in items.items():
        if value is None:
            continue
        name = key if key.startswith(PREFIX) else PREFIX + key
        if not _NAME.match(name[1:]):
            raise ValueError(f"not a CIF data name: {name!r}")
        lines.append(f"{name}   {_quote(value)}")
    if not lines:
        return text
    block = "\n".join(lines)
    return _DATA_LINE.sub(lambda m: f"{m.group(1)}\n{block}", text)


def read_provenance(text: str) -> dict[str, str]:
    """The ``_dao_*`` items of the first data block (names without the prefix, values as text)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("data_") and found:
            break
        if stripped.lower().startswith(PREFIX):
            name, _, value = stripped.partition(" ")
            found[name[len(PREFIX) :]] = _unquote(value.strip())
    return found


@lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str | None:
    """The sha256 of a file (cached by path, size and time), None when it cannot be read."""
    try:
        stat = Path(path).stat()
        return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        return None


def _quote(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    text = " ".join(str(value).split()) or "?"
    if re.match(r"^[^\s'\"_#$;\[\]][^\s]*$", text) and text.lower() not in ("loop_", "stop_"):
        return text
    for quote in ("'", '"'):
        if quote not in text:
            return f"{quote}{text}{quote}"
    return "'" + text.replace("'", "`") + "'"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
