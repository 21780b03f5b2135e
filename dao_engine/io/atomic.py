"""Atomic file writes: a temporary file in the same folder, flushed to disk, then renamed over
the target, so a kill, a crash or a full disk leaves the old file or the new one, never half of
one. Every file the engine and the app write for a user goes through :func:`atomic_open`
(directly, or through :func:`write_text_atomic` / :func:`write_bytes_atomic`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_open", "write_bytes_atomic", "write_text_atomic"]


@contextmanager
def atomic_open(path: str | Path) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file next to ``path``; when the block ends without an
    error the data is flushed to disk and the file renamed over ``path``. On any error
    (including KeyboardInterrupt) the temporary file is removed and ``path`` is untouched.

    For writers that take a file object (``torch.save``, ``np.savez``, ``fig.savefig``), so a
    large payload is not held twice in memory. OSError when the folder is not writable.
    """
    path = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())  # on disk before the rename: a crash keeps old or new, whole
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a plain write respects umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename (see the module
    docstring); OSError on failure, the old file kept whole."""
    path = Path(path)
    with atomic_open(path) as out:
        out.write(data)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, line ends as given) to ``path`` through a temporary file and a
    rename, so a kill or a full disk leaves the old file or the new one, never half of one.
    OSError on failure."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
