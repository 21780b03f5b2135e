"""Checks of options and output paths at the engine's edges, before any work starts.

The CLI and the app (through :mod:`dao_engine.api`) call these before loading a model or
sampling, so bad input costs milliseconds and names the value and what to do. Structure
files are checked by :mod:`dao_engine.crystal.sanity` as they are read.
"""

from __future__ import annotations

import errno
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dao_engine.errors import ConfigError, OutputPathError

__all__ = [
    "MAX_SEED",
    "check_device",
    "check_int",
    "check_number",
    "check_output_dir",
    "check_output_file",
    "check_seed",
]

#: Seeds are 0 ≤ seed ≤ MAX_SEED (what torch.Generator.manual_seed accepts as a signed value).
MAX_SEED = 2**63 - 1


def check_number(
    name: str,
    value: float,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
) -> float:
    """``value`` as a float when finite and within [low, high] (or (low, high]); ConfigError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number, got {value}")
    below = low is not None and (number < low if low_inclusive else number <= low)
    if below or (high is not None and number > high):
        left = "[" if low_inclusive else "("
        span = f"{left}{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
        raise ConfigError(f"{name} must lie in {span}, got {value:g}")
    return number


def check_int(name: str, value: int, low: int, high: int) -> int:
    """``value`` when an integer in [low, high]; ConfigError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def check_seed(seed: int) -> int:
    """A seed torch accepts: a whole number in [0, 2**63 - 1]."""
    return check_int("seed", seed, 0, MAX_SEED)


def check_device(name: str) -> str:
    """``name`` when it is "auto" or a device this machine has ("cpu", "cuda", "cuda:1", "mps").

    Raises ConfigError naming the device and the choices.
    """
    import torch

    if name == "auto":
        return name
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(
            f"unknown device '{name}'; use auto, cpu, cuda or cuda:N (N = the GPU's index)"
        ) from None
    if device.type == "cpu":
        return name
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device '{name}': no CUDA GPU is available; use --device cpu")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ConfigError(
                f"device '{name}': this machine has {count} CUDA GPU(s) (0..{count - 1})"
            )
        return name
    if device.type == "mps" and torch.backends.mps.is_available():
        return name
    raise ConfigError(f"device '{name}' is not available here; use auto, cpu or cuda")


def check_output_dir(folder: str | Path, files: Iterable[str] = (), force: bool = False) -> Path:
    """Create ``folder`` if missing and prove it writable; refuse to replace any of ``files``
    (names inside it) unless ``force``. Raises OutputPathError naming the path."""
    path = Path(folder)
    _check_name(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"--out '{path}' is a file; give a folder for the results")
    _make_dirs(path)
    _probe_writable(path)
    taken = [name for name in files if (path / name).exists()]
    if taken and not force:
        more = f" and {len(taken) - 1} more already exist" if len(taken) > 1 else " already exists"
        raise OutputPathError(
            f"'{path / taken[0]}'{more}; use --force to replace, or another --out"
        )
    for name in files:
        _check_name(path / name)
    return path


def check_output_file(file: str | Path, force: bool = False) -> Path:
    """Prove that ``file`` can be written (its folder created if missing) and that no existing
    file would be replaced unless ``force``. Raises OutputPathError naming the path."""
    path = Path(file)
    _check_name(path)
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError as exc:
        raise OutputPathError(f"cannot use '{path}': {_reason(exc)}") from None
    if is_dir:
        raise OutputPathError(f"'{path}' is a folder; give a file name")
    if exists and not force:
        raise OutputPathError(
            f"'{path}' already exists; use --force to replace it, or another name"
        )
    _make_dirs(path.parent)
    _probe_writable(path.parent)
    return path


def _check_name(path: Path) -> None:
    """Refuse a path with a component longer than the file system allows."""
    for part in path.parts:
        limit = _name_max(Path("."))
        if len(part.encode()) > limit:
            raise OutputPathError(f"the name '{part[:40]}…' is longer than {limit} bytes")


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _make_dirs(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create the folder '{path}': {_reason(exc)}") from None


def _probe_writable(folder: Path) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".dao-write-test-"):
            pass
    except OSError as exc:
        raise OutputPathError(f"cannot write into '{folder}': {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "a name in the path is too long"
    return exc.strerror or str(exc)


def check_sampling_options(
    steps: int, guidance: float, step_lr: float | None, seed: int, device: str
) -> None:
    """The sampling options of a prediction or evaluation, before any model is loaded (the
    ranges of :class:`dao_engine.sampling.settings.SamplingSettings`) and the device."""
    from dao_engine.sampling.settings import SamplingSettings

    SamplingSettings(steps=steps, guidance=guidance, step_lr=step_lr, seed=seed)
    check_device(device)


def check_cell_size(z: int | None, num_atoms: int | None) -> None:
    """Formula units or atoms per cell, when given: whole numbers ≥ 1 (the model's limit is
    checked against the formula once the model is known)."""
    if z is not None:
        check_int("z", z, 1, 10_000)
    if num_atoms is not None:
        check_int("atoms", num_atoms, 1, 100_000)


def check_symprec(symprec: float) -> float:
    """A symmetry tolerance in Å: finite, in (0, 1]."""
    return check_number("symprec", symprec, 0.0, 1.0, low_inclusive=False)


def check_relax_options(steps: int, max_iter: int, lr: float, chgnet_steps: int) -> None:
    """The options of ``dao relax`` (L-BFGS outer steps, its max_iter and lr; CHGNet's FIRE
    steps), before the structure is read or a model loaded."""
    check_int("steps", steps, 1, 10_000)
    check_int("max_iter", max_iter, 1, 10_000)
    check_number("lr", lr, 0.0, 100.0, low_inclusive=False)
    check_int("chgnet_steps", chgnet_steps, 1, 100_000)
