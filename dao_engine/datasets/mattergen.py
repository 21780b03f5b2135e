"""Reader for MatterGen's preprocessed array cache (``mp_20/mattergen_cache/*.tar.xz``).

One split is a folder ``<prefix>/<split>/`` holding ``structure_id.npy`` (M,), ``num_atoms.npy``
(M,), ``atomic_numbers.npy`` (sum N,), ``cell.npy`` (M, 3, 3) Å with rows = lattice vectors,
``pos.npy`` (sum N, 3) **fractional**, and label files ``<name>.json`` = ``{"values": [...]}``.
The tarball is read in memory (no extraction); pymatgen is not needed.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np

from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.parsing import ReadReport, SkippedEntry
from dao_engine.errors import DatasetError

_REQUIRED = ("structure_id.npy", "num_atoms.npy", "atomic_numbers.npy", "cell.npy")


def list_mattergen_splits(path: str | Path) -> list[str]:
    """The split folders present in a cache tarball (e.g. ``['test', 'val']``)."""
    return sorted(_read_members(Path(path), split=None))


def read_mattergen_cache(
    path: str | Path,
    split: str,
    *,
    energy_column: str | None = "formation_energy_per_atom",
    limit: int | None = None,
) -> tuple[CrystalArrays, ReadReport]:
    """Read one split; ``energy_column`` (eV/atom) becomes ``energy``, other JSON files labels.

    Raises :class:`DatasetError` when the split is absent or lacks ``pos.npy`` (as the MP-20
    train cache does: it has cells and species but no coordinates).
    """
    path = Path(path)
    files = _read_members(path, split).get(split)
    if files is None:
        raise DatasetError(f"{path} has no split '{split}'; it has {list_mattergen_splits(path)}")
    missing = [name for name in (*_REQUIRED, "pos.npy") if name not in files]
    if missing:
        raise DatasetError(
            f"split '{split}' of {path} lacks {missing}"
            + (
                "; it holds no atom coordinates, so it cannot be used as structures"
                if missing == ["pos.npy"]
                else ""
            )
        )
    arrays = {k[:-4]: _load_npy(path, k, files[k]) for k in (*_REQUIRED, "pos.npy")}
    labels = {k[:-5]: _load_values(path, k, files[k]) for k in files if k.endswith(".json")}
    return _assemble(arrays, labels, energy_column, limit, f"{path}[{split}]")


def _assemble(
    arrays: dict[str, np.ndarray],
    labels: dict[str, np.ndarray],
    energy_column: str | None,
    limit: int | None,
    source: str,
) -> tuple[CrystalArrays, ReadReport]:
    ids = arrays["structure_id"].astype(str)
    num_atoms = arrays["num_atoms"].astype(np.int64)
    m = len(ids)
    offsets = np.concatenate([[0], np.cumsum(num_atoms)])
    if (
        len(num_atoms) != m
        or len(arrays["cell"]) != m
        or offsets[-1] != len(arrays["pos"])
        or offsets[-1] != len(arrays["atomic_numbers"])
    ):
        raise DatasetError(
            f"{source}: array lengths disagree (ids {m}, cells "
            f"{len(arrays['cell'])}, atoms {offsets[-1]} vs {len(arrays['pos'])})"
        )
    for name, column in labels.items():
        if len(column) != m:
            raise DatasetError(f"{source}: label '{name}' has {len(column)} values, expected {m}")
    if energy_column is not None and energy_column not in labels:
        raise DatasetError(f"{source}: no label '{energy_column}'; it has {sorted(labels)}")
    n = m if limit is None else min(m, limit)
    report = ReadReport(source=source, n_entries=n)
    keep = []
    for i in range(n):
        z = arrays["atomic_numbers"][offsets[i] : offsets[i + 1]]
        pos = arrays["pos"][offsets[i] : offsets[i + 1]]
        reason = _problem(z, pos, arrays["cell"][i], int(num_atoms[i]))
        if reason is None:
            keep.append(i)
        else:
            report.skipped.append(SkippedEntry(str(ids[i]), "invalid", reason))
    report.n_read = len(keep)
    full = CrystalArrays(
        lattice=arrays["cell"][:n],
        frac=arrays["pos"][: offsets[n]],
        species=arrays["atomic_numbers"][: offsets[n]],
        num_atoms=num_atoms[:n],
        ids=ids[:n],
        energy=labels[energy_column][:n] if energy_column else np.full(n, np.nan),
        labels={k: v[:n] for k, v in labels.items() if k != energy_column},
    )
    return (full if len(keep) == n else full.subset(keep)), report


def _problem(z: np.ndarray, pos: np.ndarray, cell: np.ndarray, n_atoms: int) -> str | None:
    if n_atoms <= 0:
        return "no atoms"
    if ((z < 1) | (z > MAX_ATOMIC_NUMBER)).any():
        return f"atomic number outside 1..{MAX_ATOMIC_NUMBER}"
    if not (np.isfinite(pos).all() and np.isfinite(cell).all()):
        return "non-finite cell or coordinates"
    if abs(np.linalg.det(cell)) < 1e-6:
        return "degenerate cell (zero volume)"
    return None


def _read_members(path: Path, split: str | None) -> dict[str, dict[str, bytes]]:
    """``{split: {file name: bytes}}``; with ``split`` given only that split's bytes are kept."""
    if not path.is_file():
        raise DatasetError(f"MatterGen cache {path} does not exist; check DAO_DATA_ROOT")
    out: dict[str, dict[str, bytes]] = {}
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                parts = PurePosixPath(member.name).parts
                if not member.isfile() or len(parts) < 2:
                    continue
                folder, name = parts[-2], parts[-1]
                files = out.setdefault(folder, {})
                if split is None or folder != split:
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    files[name] = handle.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetError(f"cannot read MatterGen cache {path}: {exc}") from exc
    return out


def _load_npy(path: Path, name: str, data: bytes) -> np.ndarray:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise DatasetError(f"{path}: {name} is not a plain .npy array: {exc}") from exc


def _load_values(path: Path, name: str, data: bytes) -> np.ndarray:
    try:
        values = json.loads(data)["values"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: {name} is not a JSON object with 'values': {exc}") from exc
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
