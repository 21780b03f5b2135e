"""Where the datasets and their caches live.

* data root: ``$DAO_DATA_ROOT``, else ``<project root>/../shared/data``, else ``./../shared/data``
  (relative to the working directory). The project root is the folder that holds ``dao_engine/``.
* cache dir: ``$DAO_CACHE_DIR``, else ``<project root>/cache`` (git-ignored).

Nothing here touches the file system at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

from dao_engine.errors import DatasetError

#: Environment variable naming the folder that holds the datasets (``perov_5/``, ``mp_20/``, ...).
DATA_ROOT_ENV = "DAO_DATA_ROOT"
#: Environment variable naming the folder for derived caches (``.npz`` files).
CACHE_DIR_ENV = "DAO_CACHE_DIR"


def project_root() -> Path:
    """The folder that holds the ``dao_engine`` package (the repository root in a checkout)."""
    return Path(__file__).resolve().parents[2]


def data_root_candidates() -> list[Path]:
    """The folders tried, in order, when ``$DAO_DATA_ROOT`` is not set."""
    return [project_root().parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]


def data_root() -> Path:
    """The dataset folder; raise :class:`DatasetError` saying how to set it when it is absent."""
    configured = os.environ.get(DATA_ROOT_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise DatasetError(
                f"{DATA_ROOT_ENV}={configured!r} is not a folder; point it at the folder that "
                "holds perov_5/, mp_20/, ... (or unset it to use ../shared/data)"
            )
        return path.resolve()
    candidates = data_root_candidates()
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    tried = ", ".join(str(p) for p in candidates)
    raise DatasetError(
        f"no dataset folder found (tried {tried}); set the environment variable "
        f"{DATA_ROOT_ENV} to the folder that holds perov_5/, mp_20/, ..., "
        f"e.g. export {DATA_ROOT_ENV}=/path/to/shared/data"
    )


def has_data_root() -> bool:
    """True when :func:`data_root` would succeed (used by tests to skip)."""
    try:
        data_root()
    except DatasetError:
        return False
    return True


def cache_dir(create: bool = True) -> Path:
    """The cache folder (``$DAO_CACHE_DIR`` or ``<project root>/cache``), created on demand."""
    configured = os.environ.get(CACHE_DIR_ENV)
    path = Path(configured).expanduser() if configured else project_root() / "cache"
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatasetError(
                f"cannot create the cache folder {path}: {exc}; set {CACHE_DIR_ENV} to a "
                "writable folder"
            ) from exc
    return path
