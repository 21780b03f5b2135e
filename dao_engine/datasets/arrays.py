"""A compact, columnar set of crystals (NumPy only — this is what travels to a GPU machine).

Atoms of all crystals are stored back to back; crystal ``i`` owns the atom rows
``offsets[i] : offsets[i] + num_atoms[i]``. Only NumPy and :mod:`dao_engine.crystal.structure`
are imported, so the file loads where pymatgen is absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import DatasetError
from dao_engine.io.atomic import atomic_open

#: Key under which :class:`Crystal.properties` carries the energy column.
ENERGY_PROPERTY = "energy_per_atom"
_LABEL_PREFIX = "label__"
_FORMAT_VERSION = "1"


@dataclass(eq=False)
class CrystalArrays:
    """M crystals with ``sum(num_atoms)`` atoms in total.

    Attributes:
        lattice: (M, 3, 3) float32, Å; rows are lattice vectors.
        frac: (sum N, 3) float32 fractional coordinates in [0, 1).
        species: (sum N,) int16 atomic numbers.
        num_atoms: (M,) int32 atoms per crystal.
        ids: (M,) unicode material ids.
        energy: (M,) float32 energy label (eV/atom by convention), NaN where missing.
        labels: optional float32 (M,) columns (e.g. ``tc`` in K), NaN where missing.
        meta: free-form strings (dataset name, energy label name and unit, read report, ...).
    """

    lattice: np.ndarray
    frac: np.ndarray
    species: np.ndarray
    num_atoms: np.ndarray
    ids: np.ndarray
    energy: np.ndarray
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lattice = np.ascontiguousarray(self.lattice, dtype=np.float32).reshape(-1, 3, 3)
        self.frac = _wrap32(np.asarray(self.frac).reshape(-1, 3))
        self.species = np.ascontiguousarray(self.species, dtype=np.int16).reshape(-1)
        self.num_atoms = np.ascontiguousarray(self.num_atoms, dtype=np.int32).reshape(-1)
        self.ids = np.asarray(self.ids, dtype=str).reshape(-1)
        self.energy = np.ascontiguousarray(self.energy, dtype=np.float32).reshape(-1)
        self.labels = {
            str(k): np.ascontiguousarray(v, dtype=np.float32).reshape(-1)
            for k, v in self.labels.items()
        }
        self.meta = {str(k): str(v) for k, v in self.meta.items()}
        self._validate()
        self._offsets = np.concatenate([[0], np.cumsum(self.num_atoms, dtype=np.int64)])

    def _validate(self) -> None:
        m = len(self.lattice)
        for name, column in [
            ("num_atoms", self.num_atoms),
            ("ids", self.ids),
            ("energy", self.energy),
            *self.labels.items(),
        ]:
            if len(column) != m:
                raise DatasetError(f"column '{name}' has {len(column)} rows, expected {m}")
        total = int(self.num_atoms.sum(dtype=np.int64))
        if len(self.frac) != total or len(self.species) != total:
            raise DatasetError(
                f"num_atoms sums to {total} but frac has {len(self.frac)} rows and species "
                f"{len(self.species)}"
            )
        if (self.num_atoms <= 0).any():
            raise DatasetError("every crystal needs at least one atom (num_atoms > 0)")

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.lattice)

    @property
    def offsets(self) -> np.ndarray:
        """(M + 1,) int64 start of each crystal's atom rows; the last entry is the atom total."""
        return self._offsets

    @property
    def label_names(self) -> list[str]:
        return sorted(self.labels)

    def crystal(self, i: int) -> Crystal:
        """Crystal ``i`` as float64 :class:`Crystal`; finite labels go into ``properties``."""
        m = len(self)
        if not -m <= i < m:
            raise IndexError(f"crystal index {i} out of range for {m} crystals")
        i = i % m
        start, stop = self._offsets[i], self._offsets[i + 1]
        properties: dict[str, float] = {}
        if np.isfinite(self.energy[i]):
            properties[ENERGY_PROPERTY] = float(self.energy[i])
        for name, column in self.labels.items():
            if np.isfinite(column[i]):
                properties[name] = float(column[i])
        return Crystal(
            lattice=self.lattice[i].astype(np.float64),
            frac=self.frac[start:stop].astype(np.float64),
            species=self.species[start:stop].astype(np.int64),
            label=str(self.ids[i]),
            properties=properties,
        )

    def crystals(self) -> list[Crystal]:
        return [self.crystal(i) for i in range(len(self))]

    # ------------------------------------------------------------ construction
    @classmethod
    def empty(cls, label_names: Sequence[str] = ()) -> CrystalArrays:
        return cls(
            np.zeros((0, 3, 3)),
            np.zeros((0, 3)),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, dtype=str),
            np.zeros(0),
            {k: np.zeros(0) for k in label_names},
        )

    @classmethod
    def from_crystals(
        cls,
        crystals: Sequence[Crystal],
        energy_key: str = ENERGY_PROPERTY,
        meta: dict[str, str] | None = None,
    ) -> CrystalArrays:
        """Pack crystals: ``properties[energy_key]`` -> ``energy``, other numbers -> ``labels``."""
        if not crystals:
            arrays = cls.empty()
            arrays.meta = dict(meta or {})
            return arrays
        names = sorted(
            {
                k
                for c in crystals
                for k, v in c.properties.items()
                if k != energy_key and _is_number(v)
            }
        )
        labels = {k: np.array([_as_float(c.properties.get(k)) for c in crystals]) for k in names}
        return cls(
            lattice=np.stack([c.lattice for c in crystals]),
            frac=np.concatenate([c.frac for c in crystals]),
            species=np.concatenate([c.species for c in crystals]),
            num_atoms=np.array([c.num_atoms for c in crystals]),
            ids=np.array([c.label for c in crystals], dtype=str),
            energy=np.array([_as_float(c.properties.get(energy_key)) for c in crystals]),
            labels=labels,
            meta=dict(meta or {}),
        )

    def subset(self, indices: Sequence[int] | np.ndarray) -> CrystalArrays:
        """The crystals at ``indices`` (ints, or a boolean mask of length M), in that order."""
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if len(idx) != len(self):
                raise DatasetError(f"boolean mask has {len(idx)} entries, expected {len(self)}")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64).reshape(-1)
        if len(idx) and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"subset index out of range for {len(self)} crystals")
        idx = idx % max(len(self), 1)
        atom_idx = _atom_rows(self._offsets, idx)
        return CrystalArrays(
            self.lattice[idx],
            self.frac[atom_idx],
            self.species[atom_idx],
            self.num_atoms[idx],
            self.ids[idx],
            self.energy[idx],
            {k: v[idx] for k, v in self.labels.items()},
            dict(self.meta),
        )

    @classmethod
    def concatenate(cls, parts: Sequence[CrystalArrays]) -> CrystalArrays:
        """Join sets end to end; a label missing in a part is NaN there; meta of the first part."""
        if not parts:
            return cls.empty()
        names = sorted({k for p in parts for k in p.labels})
        labels = {
            k: np.concatenate([p.labels.get(k, np.full(len(p), np.nan, np.float32)) for p in parts])
            for k in names
        }
        return cls(
            np.concatenate([p.lattice for p in parts]),
            np.concatenate([p.frac for p in parts]),
            np.concatenate([p.species for p in parts]),
            np.concatenate([p.num_atoms for p in parts]),
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.energy for p in parts]),
            labels,
            dict(parts[0].meta),
        )

    # ------------------------------------------------------------------ files
    def _columns(self) -> dict[str, np.ndarray]:
        columns = {
            "lattice": self.lattice,
            "frac": self.frac,
            "species": self.species,
            "num_atoms": self.num_atoms,
            "ids": self.ids,
            "energy": self.energy,
        }
        columns.update({_LABEL_PREFIX + k: v for k, v in self.labels.items()})
        return columns

    def fingerprint(self) -> str:
        """sha256 (hex) over every column's name, dtype, shape and bytes; ``meta`` is excluded."""
        digest = hashlib.sha256()
        for name, column in sorted(self._columns().items()):
            column = np.ascontiguousarray(column)
            digest.update(f"{name}|{column.dtype.str}|{column.shape}|".encode())
            digest.update(column.tobytes())
        return digest.hexdigest()

    def save_npz(self, path: str | os.PathLike[str]) -> Path:
        """Write a compressed ``.npz`` (no pickles) atomically; return the path written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "format_version": _FORMAT_VERSION, "fingerprint": self.fingerprint()}
        payload = {"meta_json": np.array(json.dumps(meta)), **self._columns()}
        with atomic_open(path) as handle:
            np.savez_compressed(handle, **payload)  # type: ignore[arg-type]
        return path

    @classmethod
    def load_npz(cls, path: str | os.PathLike[str], verify: bool = True) -> CrystalArrays:
        """Read a file written by :meth:`save_npz`; with ``verify`` check the stored fingerprint."""
        path = Path(path)
        if not path.is_file():
            raise DatasetError(f"crystal array file {path} does not exist")
        try:
            with np.load(path, allow_pickle=False) as data:
                columns = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise DatasetError(f"{path} is not a readable crystal .npz file: {exc}") from exc
        missing = {"lattice", "frac", "species", "num_atoms", "ids", "energy", "meta_json"}
        missing -= set(columns)
        if missing:
            raise DatasetError(f"{path} lacks the arrays {sorted(missing)}; re-export it")
        meta = json.loads(str(columns.pop("meta_json")))
        stored = meta.pop("fingerprint", None)
        meta.pop("format_version", None)
        labels = {
            k[len(_LABEL_PREFIX) :]: v for k, v in columns.items() if k.startswith(_LABEL_PREFIX)
        }
        core = {k: columns[k] for k in ("lattice", "frac", "species", "num_atoms", "ids", "energy")}
        arrays = cls(labels=labels, meta=meta, **core)
        if verify and stored and stored != arrays.fingerprint():
            raise DatasetError(f"{path} is corrupt: its fingerprint does not match its arrays")
        return arrays


def _atom_rows(offsets: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Concatenated atom row indices of crystals ``idx`` (vectorised ranges)."""
    counts = offsets[idx + 1] - offsets[idx]
    if counts.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(offsets[idx] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return starts + np.arange(counts.sum(), dtype=np.int64)


def _wrap32(frac: np.ndarray) -> np.ndarray:
    """Cast to float32 and wrap to [0, 1) (0.99999999 and -1e-9 round to 1.0 in float32)."""
    frac32 = np.array(frac, dtype=np.float32, order="C")
    frac32 -= np.floor(frac32)
    frac32[frac32 >= 1.0] = 0.0
    return frac32


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _as_float(value: object) -> float:
    return float(value) if _is_number(value) else float("nan")  # type: ignore[arg-type]
