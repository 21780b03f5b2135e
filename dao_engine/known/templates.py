"""Candidates from the known-structure library: exact-composition hits ("known mp-…") and
substitution templates ("template from mp-… (KCl)").

A template is a library crystal with the same anonymous stoichiometry as the target (NaCl and
KBr are both 1:1). Its elements are mapped one-to-one onto the target's elements of the same
reduced count, choosing the mapping with the highest substitution score (sum over elements of
:func:`substitution_log_score`); the cell is rescaled to the target's estimated volume and the
fractional coordinates are kept. Candidates are ranked by score (exact hits first, each by the
library's formation energy), and structures that match one already listed are dropped, so the
list holds distinct structures.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from dao_engine.crystal.composition import parse_formula
from dao_engine.crystal.elements import atomic_number, element_symbol
from dao_engine.crystal.plausibility import estimated_volume_per_atom
from dao_engine.crystal.structure import Crystal
from dao_engine.known.library import KnownLibrary, formula_key, type_key
from dao_engine.known.substitution import substitution_log_score

#: library crystals examined per composition (the best-scored first)
MAX_EXAMINED = 40
#: rank template groups by their members' summed likelihood (see :func:`library_candidates`)
VOTE = True
#: permutations tried within one group of equal-count elements
_MAX_GROUP = 6


@dataclass(frozen=True)
class KnownCandidate:
    """A candidate from the library.

    Attributes:
        crystal: the structure with the target's elements (cell rescaled for templates).
        material_id: the library crystal it comes from (``mp-…``).
        exact: True when the library crystal has the target's composition (a known structure).
        score: summed natural-log substitution score of the element mapping.
        formation_energy: the library crystal's formation energy per atom (eV/atom) or None.
        template_formula: reduced formula of the library crystal.
    """

    crystal: Crystal
    material_id: str
    exact: bool
    score: float
    formation_energy: float | None
    template_formula: str

    @property
    def source(self) -> str:
        """Where the candidate comes from, for a table column."""
        if self.exact:
            return f"known {self.material_id}"
        return f"template from {self.material_id} ({self.template_formula})"


def best_mapping(
    template: Mapping[int, int], target: Mapping[int, int]
) -> tuple[dict[int, int], float] | None:
    """The element map template Z -> target Z (equal reduced counts) with the highest summed
    substitution score, and that score; None when the stoichiometries differ."""
    if type_key(template) != type_key(target):
        return None
    mapping: dict[int, int] = {}
    total = 0.0
    for count in sorted(set(template.values())):
        sources = [z for z, n in template.items() if n == count]
        targets = [z for z, n in target.items() if n == count]
        best = _best_group(sources, targets)
        mapping.update(best[0])
        total += best[1]
    return mapping, total


def _best_group(sources: list[int], targets: list[int]) -> tuple[dict[int, int], float]:
    def score(pairs: Mapping[int, int]) -> float:
        return sum(
            substitution_log_score(element_symbol(a), element_symbol(b)) for a, b in pairs.items()
        )

    if len(sources) > _MAX_GROUP:  # too many permutations: keep the given order
        pairs = dict(zip(sources, targets, strict=True))
        return pairs, score(pairs)
    options = (dict(zip(sources, perm, strict=True)) for perm in itertools.permutations(targets))
    return max(((p, score(p)) for p in options), key=lambda item: item[1])


def _formula(counts: Mapping[int, int]) -> str:
    return "".join(element_symbol(z) + (str(n) if n > 1 else "") for z, n in sorted(counts.items()))


def _rescaled(library: KnownLibrary, index: int, mapping: Mapping[int, int], label: str) -> Crystal:
    source = library.arrays.crystal(index)
    species = np.array([mapping[int(z)] for z in source.species])
    before = estimated_volume_per_atom(source.species)
    after = estimated_volume_per_atom(species)
    factor = (after / before) ** (1.0 / 3.0) if before and after else 1.0
    return Crystal(source.lattice * factor, source.frac, species, label=label)


def ranked_entries(
    library: KnownLibrary, formula: str, known: bool = True, templates: bool = True
) -> list[tuple[int, dict[int, int], float, bool]]:
    """(library index, element map, score, exact) of every usable library crystal, best first:
    by score, then by formation energy (lowest first; unknown last)."""
    reduced = parse_formula(formula).reduced()[0]
    target = {atomic_number(s): n for s, n in reduced.counts.items()}
    key = formula_key(target)
    entries = []
    for i in library.by_type.get(type_key(target), []):
        exact = formula_key(library.counts[i]) == key
        if (exact and not known) or (not exact and not templates):
            continue
        found = best_mapping(library.counts[i], target)
        if found is not None:
            entries.append((i, found[0], found[1], exact))
    energy = library.arrays.energy

    def order(entry: tuple[int, dict[int, int], float, bool]) -> tuple[float, float]:
        value = float(energy[entry[0]])
        return (-entry[2], value if math.isfinite(value) else math.inf)

    return sorted(entries, key=order)


def csp_same_structure(a: Crystal, b: Crystal) -> bool:
    """True when the CSP StructureMatcher (stol 0.5, ltol 0.3, angle_tol 10) matches a and b."""
    from dao_engine.evaluation.matching import match_pair

    return match_pair(a, b).matched


def library_candidates(
    library: KnownLibrary,
    formula: str,
    limit: int = 10,
    known: bool = True,
    templates: bool = True,
    same_structure: Callable[[Crystal, Crystal], bool] = csp_same_structure,
    vote: bool = VOTE,
    examine: int = MAX_EXAMINED,
) -> list[KnownCandidate]:
    """Up to ``limit`` distinct candidates for ``formula`` from the library, best first.

    The ``examine`` best-scored library crystals are substituted and grouped: a structure joins
    a listed one of the same space group (spglib, symprec 0.1 Å) that ``same_structure`` matches.
    With ``vote`` the groups are ranked by the summed likelihood of their members,
    Σ exp(score − best score) (a prototype many similar compounds take outranks a one-off);
    else by their best member's score."""
    from dao_engine.crystal.symmetry import space_group

    reduced_formula = parse_formula(formula).reduced()[0].formula
    entries = ranked_entries(library, formula, known, templates)[:examine]
    groups: list[tuple[int, KnownCandidate, list[float]]] = []
    for index, mapping, score, exact in entries:
        material_id = str(library.arrays.ids[index])
        kind = "known" if exact else "from"
        crystal = _rescaled(library, index, mapping, f"{reduced_formula} {kind} {material_id}")
        number = space_group(crystal, symprec=0.1)[1]
        twin = next(
            (g for g in groups if g[0] == number and same_structure(crystal, g[1].crystal)), None
        )
        if twin is not None:
            twin[2].append(score)
            continue
        if not vote and len(groups) >= limit:
            break
        value = float(library.arrays.energy[index])
        energy = value if math.isfinite(value) else None
        template = _formula(library.counts[index])
        candidate = KnownCandidate(crystal, material_id, exact, score, energy, template)
        groups.append((number, candidate, [score]))
    if vote and groups:
        top = max(g[1].score for g in groups)
        weight = {id(g): sum(math.exp(x - top) for x in g[2]) for g in groups}
        groups.sort(key=lambda g: -weight[id(g)])
    return [g[1] for g in groups[:limit]]
