"""Analysis helpers the desktop app needs beyond prediction: matching, symmetry, density, devices.

Qt-free. pymatgen is imported lazily (only the matching and density functions need it).

Matching uses the field's crystal-structure-prediction protocol: pymatgen
``StructureMatcher(stol=0.5, ltol=0.3, angle_tol=10)``, other arguments at their defaults.
The RMSE is the first value of ``get_rms_dist``: the root-mean-square displacement between
matched sites, normalised by ``(V / N) ** (1/3)`` (dimensionless), as in the benchmark tables.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import (
    DEFAULT_SYMPREC,
    SymmetryError,
    niggli,
    primitive,
    space_group,
    symmetrized,
)
from dao_engine.crystal.validity import validity_problem
from dao_engine.io.cif import write_cif
from dao_engine.prediction import MODELS_DIR, default_model_path, verify_if_shipped

__all__ = [
    "DEFAULT_SYMPREC",
    "MATCHER_TOLERANCES",
    "SHIPPED_ENERGY_MODEL",
    "MatchResult",
    "SymmetryError",
    "available_devices",
    "cif_text",
    "density",
    "duplicate_groups",
    "match",
    "niggli",
    "pairwise_matches",
    "primitive",
    "shipped_model_path",
    "space_group",
    "symmetrized",
    "verify_if_shipped",
    "volume_per_atom",
]

_log = logging.getLogger(__name__)

#: The StructureMatcher tolerances of the benchmark protocol (shown to users next to results).
MATCHER_TOLERANCES: dict[str, float] = {"stol": 0.5, "ltol": 0.3, "angle_tol": 10.0}


@dataclass(frozen=True)
class MatchResult:
    """Outcome of comparing two crystals.

    Attributes:
        matched: True when StructureMatcher finds them the same structure.
        rmse: normalised RMS displacement (dimensionless) when matched, else None.
        error: why the comparison could not be made (degenerate cell, ...), else "".
    """

    matched: bool
    rmse: float | None = None
    error: str = ""


def _matcher():  # type: ignore[no-untyped-def]
    from pymatgen.analysis.structure_matcher import StructureMatcher

    return StructureMatcher(**MATCHER_TOLERANCES)


def _refusal(crystal: Crystal) -> str:
    """ "" when ``crystal`` may go to StructureMatcher, else why not (huge or absurd cell)."""
    from dao_engine.evaluation.matching import matching_refusal

    reason = matching_refusal(crystal.lattice, crystal.num_atoms)
    name = f"'{crystal.label}'" if crystal.label else "the cell"
    return f"{name} not matched: {reason}" if reason else ""


def match(crystal: Crystal, reference: Crystal) -> MatchResult:
    """Compare ``crystal`` with ``reference`` (see the module docstring for the protocol).

    Never raises for odd generated structures: an implausible cell or a pymatgen failure
    gives ``MatchResult(False, None, error=...)``.
    """
    reason = _refusal(crystal) or _refusal(reference) or validity_problem(crystal)
    reason = reason or validity_problem(reference) or ""
    if reason:
        return MatchResult(False, None, reason)
    from dao_engine.io.convert import structure_from_crystal

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rms = _matcher().get_rms_dist(
                structure_from_crystal(crystal), structure_from_crystal(reference)
            )
    except Exception as exc:  # pymatgen raises assorted errors on pathological lattices
        _log.debug("matching '%s' failed: %s", crystal.label, exc)
        return MatchResult(False, None, f"matching failed: {exc}")
    if rms is None:
        return MatchResult(False, None)
    return MatchResult(True, float(rms[0]))


def pairwise_matches(crystals: Sequence[Crystal]) -> list[list[MatchResult]]:
    """Symmetric matrix of :func:`match` results; the diagonal is ``MatchResult(True, 0.0)``."""
    n = len(crystals)
    matrix = [[MatchResult(True, 0.0) for _ in range(n)] for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            result = match(crystals[i], crystals[j])
            matrix[i][j] = matrix[j][i] = result
    return matrix


def duplicate_groups(matrix: Sequence[Sequence[MatchResult]]) -> list[list[int]]:
    """Groups of indices that match each other (connected components of the match graph),
    largest first; a structure that matches nothing is a group of its own."""
    n = len(matrix)
    seen: set[int] = set()
    groups: list[list[int]] = []
    for start in range(n):
        if start in seen:
            continue
        stack, group = [start], []
        seen.add(start)
        while stack:
            i = stack.pop()
            group.append(i)
            for j in range(n):
                if j not in seen and matrix[i][j].matched:
                    seen.add(j)
                    stack.append(j)
        groups.append(sorted(group))
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def volume_per_atom(crystal: Crystal) -> float:
    """Cell volume divided by the number of atoms, Å³/atom."""
    return crystal.volume / crystal.num_atoms


def density(crystal: Crystal) -> float:
    """Mass density in g/cm³ (atomic masses from pymatgen); NaN for a zero-volume cell."""
    from pymatgen.core import Element

    if crystal.volume <= 0:
        return float("nan")
    mass_amu = sum(float(Element.from_Z(int(z)).atomic_mass) for z in crystal.species)
    return mass_amu * 1.66053906660 / crystal.volume  # amu/Å³ → g/cm³


def cif_text(crystal: Crystal, symmetrize: bool = True, symprec: float = DEFAULT_SYMPREC) -> str:
    """CIF text (symmetrized by default), as :func:`dao_engine.api.write_structure` writes it."""
    return write_cif(crystal, None, symmetrize=symmetrize, symprec=symprec)


def available_devices() -> list[str]:
    """Devices a prediction can run on: ``["auto", "cpu"]`` plus ``"cuda"`` when a GPU exists."""
    import torch

    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    return devices


#: The shipped DAO-P meant as a separate energy model (see its model card in resources/models).
SHIPPED_ENERGY_MODEL = "dao-p-energy-mixed-cpu.pt"


def shipped_model_path(name: str) -> Path:
    """``resources/models/<name>``: where a model shipped with DAO Studio lives (not read)."""
    return MODELS_DIR / name


@dataclass(frozen=True)
class ShippedGenerator:
    """A shipped generator meant for one family of crystals: ``title`` says which (from its
    ``MODELS.json`` entry), ``path`` is the file."""

    title: str
    path: Path


def shipped_generators() -> list[ShippedGenerator]:
    """The specialised generators shipped beside the default (entries of ``MODELS.json`` with a
    ``title``, in file order); the default model is not among them. An unreadable manifest
    lists none (loading a model checks it and says why)."""
    import json

    from dao_engine.prediction import MANIFEST_NAME

    try:
        entries = json.loads((MODELS_DIR / MANIFEST_NAME).read_text())["models"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    default = default_model_path().name
    return [
        ShippedGenerator(str(entry["title"]), MODELS_DIR / name)
        for name, entry in entries.items()
        if isinstance(entry, dict) and entry.get("title") and name != default
    ]
