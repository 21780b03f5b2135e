"""Parse many CIF / POSCAR texts into crystals, skipping (and counting) the ones we cannot use.

A bad entry never stops a dataset from loading: it becomes a :class:`SkippedEntry` with a kind
(``disordered``, ``parse_error``, ``unsupported_element``, ``invalid``) and a reason. pymatgen is
imported inside the worker function only, so importing this module stays cheap.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER
from dao_engine.crystal.structure import Crystal
from dao_engine.datasets.arrays import ENERGY_PROPERTY, CrystalArrays
from dao_engine.errors import StructureParseError

#: Text formats :func:`parse_entries` understands.
FORMATS = ("cif", "poscar")


@dataclass(frozen=True)
class RawEntry:
    """One structure as text. ``text`` is a whole CIF or POSCAR; ``labels`` are floats (NaN ok)."""

    id: str
    text: str
    fmt: str
    labels: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedEntry:
    """An entry left out of a dataset: its id, a kind (for counting) and a readable reason."""

    id: str
    kind: str
    reason: str


@dataclass
class ReadReport:
    """What a reader did: how many entries it saw, read and skipped (with reasons)."""

    source: str
    n_entries: int = 0
    n_read: int = 0
    skipped: list[SkippedEntry] = field(default_factory=list)

    def counts_by_kind(self) -> dict[str, int]:
        return dict(Counter(s.kind for s in self.skipped))

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.counts_by_kind().items()))
        text = f"{self.source}: read {self.n_read} of {self.n_entries} entries"
        return f"{text}; skipped {len(self.skipped)} ({kinds})" if self.skipped else text

    def extend(self, other: ReadReport) -> None:
        """Add another report's counts (e.g. a second source file of the same dataset)."""
        self.n_entries += other.n_entries
        self.n_read += other.n_read
        self.skipped.extend(other.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "n_entries": self.n_entries,
            "n_read": self.n_read,
            "skipped": [[s.id, s.kind, s.reason] for s in self.skipped],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReadReport:
        return cls(
            source=str(data["source"]),
            n_entries=int(data["n_entries"]),
            n_read=int(data["n_read"]),
            skipped=[SkippedEntry(*map(str, row)) for row in data.get("skipped", [])],
        )


def parse_text(text: str, fmt: str, label: str = "") -> Crystal:
    """Parse one CIF (first data block) or POSCAR text into an ordered :class:`Crystal`.

    Raises :class:`StructureParseError` for partial occupancy, unknown elements or garbage.
    JARVIS-style POSCARs whose newlines are literal ``\\n`` escapes are accepted.
    """
    from pymatgen.io.cif import CifParser
    from pymatgen.io.vasp import Poscar

    from dao_engine.io.convert import crystal_from_structure

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if fmt == "cif":
                parser = CifParser.from_str(text)
                parsed = parser.parse_structures(primitive=False, on_error="raise")
                if not parsed:
                    raise StructureParseError(f"'{label}': CIF holds no structure")
                structure = parsed[0]
            elif fmt == "poscar":
                if "\n" not in text and "\\n" in text:
                    text = text.replace("\\n", "\n")
                structure = Poscar.from_str(text, read_velocities=False).structure
            else:
                raise StructureParseError(f"unknown structure format {fmt!r}; use one of {FORMATS}")
        except StructureParseError:
            raise
        except Exception as exc:  # pymatgen raises many types on garbage input
            raise StructureParseError(f"'{label}': cannot parse {fmt}: {exc}") from exc
    return crystal_from_structure(structure, label=label)


def _parse_one(entry: RawEntry) -> tuple[np.ndarray, np.ndarray, np.ndarray] | SkippedEntry:
    """Worker: arrays (lattice, frac, species) or the reason the entry is skipped."""
    try:
        crystal = parse_text(entry.text, entry.fmt, entry.id)
    except StructureParseError as exc:
        kind = "disordered" if "partial occupancy" in str(exc) else "parse_error"
        return SkippedEntry(entry.id, kind, str(exc))
    except Exception as exc:  # never let one entry stop a dataset (e.g. a dummy species)
        return SkippedEntry(entry.id, "invalid", f"{type(exc).__name__}: {exc}")
    bad = crystal.species[(crystal.species < 1) | (crystal.species > MAX_ATOMIC_NUMBER)]
    if len(bad):
        return SkippedEntry(
            entry.id,
            "unsupported_element",
            f"atomic number {int(bad[0])} is outside 1..{MAX_ATOMIC_NUMBER}",
        )
    return crystal.lattice, crystal.frac, crystal.species


def parse_entries(
    entries: Iterable[RawEntry],
    source: str,
    *,
    processes: int = 1,
    energy_key: str | None = None,
    mp_context: str | None = None,
    chunksize: int = 32,
) -> tuple[CrystalArrays, ReadReport]:
    """Parse entries in order (optionally in a process pool) into arrays plus a report.

    ``energy_key`` names the label that becomes the ``energy`` column (eV/atom); the other labels
    stay label columns. ``processes > 1`` uses ``multiprocessing`` with start method
    ``mp_context`` (platform default when None).
    """
    entries = list(entries)
    report = ReadReport(source=source, n_entries=len(entries))
    if processes > 1 and len(entries) > chunksize:
        with multiprocessing.get_context(mp_context).Pool(processes) as pool:
            results = list(pool.imap(_parse_one, entries, chunksize=chunksize))
    else:
        results = [_parse_one(e) for e in entries]
    kept: list[tuple[RawEntry, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, SkippedEntry):
            report.skipped.append(result)
        else:
            kept.append((entry, result))
    report.n_read = len(kept)
    return pack(kept, energy_key), report


def pack(
    kept: Sequence[tuple[RawEntry, tuple[np.ndarray, np.ndarray, np.ndarray]]],
    energy_key: str | None,
) -> CrystalArrays:
    """Stack parsed (entry, (lattice, frac, species)) pairs into :class:`CrystalArrays`."""
    names = sorted({k for e, _ in kept for k in e.labels if k != energy_key})
    if not kept:
        return CrystalArrays.empty(names)
    nan = float("nan")
    crystals = [
        Crystal(
            lattice,
            frac,
            species,
            entry.id,
            {
                **{k: entry.labels.get(k, nan) for k in names},
                ENERGY_PROPERTY: entry.labels.get(energy_key, nan) if energy_key else nan,
            },
        )
        for entry, (lattice, frac, species) in kept
    ]
    return CrystalArrays.from_crystals(crystals, energy_key=ENERGY_PROPERTY)
