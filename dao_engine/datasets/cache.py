"""Fingerprinted ``.npz`` caches of parsed datasets.

A cache file is keyed by the dataset name, the ``limit``, the reader version and the sha256 of
every source file, so it is rebuilt as soon as a source changes or the readers change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.parsing import ReadReport
from dao_engine.errors import DatasetError

logger = logging.getLogger(__name__)

#: Bump when a reader's output changes for the same source bytes (invalidates every cache).
READER_VERSION = "1"
_digest_memo: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 (hex) of a file, memoised per (path, size, mtime) within this process."""
    stat = path.stat()
    memo_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _digest_memo.get(memo_key)
    if digest is None:
        hasher = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(block)
        digest = _digest_memo[memo_key] = hasher.hexdigest()
    return digest


def sources_digest(root: Path, sources: Sequence[str]) -> str:
    """sha256 over the sources (files, or every file under a folder) relative to ``root``."""
    hasher = hashlib.sha256()
    for rel in sources:
        path = root / rel
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise DatasetError(f"dataset source {path} is missing; check DAO_DATA_ROOT ({root})")
        for file in files:
            hasher.update(f"{file.relative_to(root).as_posix()}|{file_sha256(file)}\n".encode())
    return hasher.hexdigest()


def cache_key(name: str, limit: int | None, digest: str) -> str:
    text = json.dumps({"name": name, "limit": limit, "reader": READER_VERSION, "src": digest})
    return hashlib.sha256(text.encode()).hexdigest()


def cache_file(folder: Path, name: str, limit: int | None, key: str) -> Path:
    """``<folder>/<name with / as __>.<full|limitN>.<key[:16]>.npz``."""
    return folder / f"{_stem(name, limit)}.{key[:16]}.npz"


def _stem(name: str, limit: int | None) -> str:
    return f"{name.replace('/', '__')}.{'full' if limit is None else f'limit{limit}'}"


def load_or_build(
    folder: Path,
    name: str,
    limit: int | None,
    key: str,
    build: Callable[[], tuple[CrystalArrays, ReadReport]],
) -> tuple[CrystalArrays, ReadReport]:
    """The cached arrays for ``key``, or build, save (replacing stale files) and return them."""
    path = cache_file(folder, name, limit, key)
    if path.is_file():
        try:
            arrays = CrystalArrays.load_npz(path)
            report = ReadReport.from_dict(json.loads(arrays.meta["read_report"]))
            return arrays, report
        except (DatasetError, KeyError, ValueError) as exc:
            logger.warning("rebuilding cache %s: %s", path, exc)
    arrays, report = build()
    arrays.meta["read_report"] = json.dumps(report.to_dict())
    try:
        arrays.save_npz(path)
    except OSError as exc:
        logger.warning("could not write dataset cache %s: %s", path, exc)
        return arrays, report
    for stale in folder.glob(f"{_stem(name, limit)}.*.npz"):
        if stale != path:
            try:
                os.remove(stale)
            except OSError:
                pass
    return arrays, report
