"""Turn a path or an in-memory text into text plus a name for error messages (private helper).

Files are read defensively: regular files only (a FIFO, a device or a folder is refused before
it is opened), at most :attr:`StructureLimits.max_bytes` (also after gzip decompression), a
UTF-8 byte-order mark dropped and CRLF / CR line ends turned into LF. Writes are atomic
(:func:`dao_engine.io.atomic.write_text_atomic`, re-exported here).
"""

from __future__ import annotations

import gzip
import io
import os
import stat
from pathlib import Path

from dao_engine.crystal.sanity import StructureLimits
from dao_engine.errors import StructureParseError
from dao_engine.io.atomic import write_text_atomic  # noqa: F401 — re-exported for callers

_GZIP_MAGIC = b"\x1f\x8b"


def is_inline_text(source: str | Path) -> bool:
    """True when ``source`` is file content rather than a path: a ``str`` with a line break."""
    return isinstance(source, str) and ("\n" in source or "\r" in source)


def file_stem(source: str | Path) -> str:
    """File name without its extension(s): ``NaCl.cif.gz`` -> ``NaCl``, ``POSCAR`` -> ``POSCAR``."""
    name = Path(source).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return Path(name).stem


#: What to give instead, by the ``kind`` of file asked for.
_GIVE = {"structure": "one CIF, POSCAR or XYZ file"}


def check_regular_file(path: Path, kind: str = "structure") -> os.stat_result:
    """The ``stat`` of ``path``; StructureParseError unless it is an existing regular file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise StructureParseError(f"no such file: {path}") from None
    except ValueError:  # a NUL byte: no file can have this name
        raise StructureParseError(f"{str(path)!r} is not a usable file name") from None
    except OSError as exc:
        raise StructureParseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        give = _GIVE.get(kind, f"one {kind} file")
        raise StructureParseError(
            f"'{path}' is a directory, not a {kind} file; give the path of {give}"
        )
    if not stat.S_ISREG(info.st_mode):
        what = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise StructureParseError(f"{path} is {what}, not a regular {kind} file")
    return info


def read_bytes_limited(path: Path, kind: str, limit: int) -> bytes:
    """The (gunzipped) bytes of a regular file; StructureParseError above ``limit`` bytes."""
    info = check_regular_file(path, kind)
    too_big = f"{path}: larger than {limit / 1e6:g} MB; set DAO_MAX_FILE_MB to read it"
    if info.st_size > limit:
        raise StructureParseError(too_big)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise StructureParseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data[:2] == _GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(limit + 1)
        except (OSError, EOFError) as exc:
            raise StructureParseError(f"{path}: corrupt gzip data ({exc})") from exc
    if len(data) > limit:
        raise StructureParseError(too_big)
    return data


def normalise_text(text: str) -> str:
    """Drop a byte-order mark and turn CRLF / CR line ends into LF."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def load_text(source: str | Path, kind: str) -> tuple[str, str]:
    """Return (text, name) for a path or for inline text (a ``str`` containing a newline).

    ``kind`` ("CIF", "POSCAR", ...) only words the errors. Gzipped files are decompressed;
    bytes that are not UTF-8 are replaced (old CIFs carry Latin-1 comments). Raises
    StructureParseError for a missing file, a folder, a FIFO or device, a file over the size
    limit, an unreadable or binary file.
    """
    if is_inline_text(source):
        return normalise_text(str(source)), f"<{kind} text>"
    path = Path(source)
    data = read_bytes_limited(path, kind, StructureLimits.from_env().max_bytes)
    if b"\x00" in data[:65536]:
        raise StructureParseError(f"{path}: binary data, not a {kind} text file")
    return normalise_text(data.decode("utf-8", errors="replace")), str(path)
