"""Element-to-element substitution likelihoods from pymatgen's data-mined table.

pymatgen's ``SubstitutionProbability`` (Hautier et al., Inorg. Chem. 50, 656 (2011)) gives a
pair correlation ``P(a, b) / (P(a) P(b))`` between ionic species (element + oxidation state)
that replace each other in ICSD structures. Templates are scored per element: the log of the
best correlation over the two elements' oxidation states, capped at :data:`MAX_LOG_CORR`
(rare species pairs give huge, noisy ratios). An element substituted by itself always scores
:data:`IDENTITY_BONUS` above its best substitute, so an exact-composition structure outranks a
substituted one. Elements the table lacks (noble gases, some actinides, ...) score
:data:`NO_DATA_LOG_CORR` against every other element.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

#: cap on log pair correlation (the table's largest ratios come from a handful of ICSD entries)
MAX_LOG_CORR = math.log(100.0)
#: log score of a pair the table has no data for
NO_DATA_LOG_CORR = math.log(1e-3)
#: an element replaced by itself scores this much (natural log) above its best substitute
IDENTITY_BONUS = math.log(2.0)


@lru_cache(maxsize=1)
def _table() -> tuple[Any, dict[str, list[Any]]]:
    """(SubstitutionProbability, element symbol -> its species in the table)."""
    from pymatgen.analysis.structure_prediction.substitution_probability import (
        SubstitutionProbability,
    )

    table = SubstitutionProbability()
    by_element: dict[str, list[Any]] = {}
    for species in table.species:
        by_element.setdefault(species.symbol, []).append(species)
    return table, by_element


def has_substitution_data(symbol: str) -> bool:
    """True when the table knows at least one oxidation state of ``symbol``."""
    return symbol in _table()[1]


def missing_substitution_data(symbols: Iterable[str]) -> list[str]:
    """The symbols among ``symbols`` the substitution table has no data for, in order."""
    return [s for s in dict.fromkeys(symbols) if not has_substitution_data(s)]


@lru_cache(maxsize=20_000)
def _cross_log_corr(a: str, b: str) -> float:
    table, by_element = _table()
    if a not in by_element or b not in by_element:
        return NO_DATA_LOG_CORR
    best = max(table.pair_corr(x, y) for x in by_element[a] for y in by_element[b])
    return min(math.log(best), MAX_LOG_CORR) if best > 0 else NO_DATA_LOG_CORR


@lru_cache(maxsize=200)
def _best_substitute_log_corr(a: str) -> float:
    _, by_element = _table()
    others = [b for b in by_element if b != a]
    return max((_cross_log_corr(a, b) for b in others), default=NO_DATA_LOG_CORR)


def substitution_log_score(template: str, target: str) -> float:
    """Natural-log likelihood that element ``target`` takes the sites of ``template``
    (symmetric; identity scores highest)."""
    if template == target:
        own = max(_cross_log_corr(target, target), _best_substitute_log_corr(target))
        return own + IDENTITY_BONUS
    return _cross_log_corr(template, target)
