"""Validity of a predicted crystal, as in the CSP protocol (CDVAE / DiffCSP ``eval_utils``).

Structural: the lattice is not degenerate, the volume is ≥ 0.1 Å³ and no two atoms are closer
than 0.5 Å (:func:`dao_engine.crystal.validity.validity_problem`).

Composition: the SMACT test of CDVAE/DiffCSP's ``smact_validity`` — some assignment of oxidation
states to the elements makes the reduced formula charge neutral and passes the Pauling
electronegativity test (cations less electronegative than anions). Single elements and
all-metal compositions (alloys) pass. The oxidation states are SMACT's original 2014 list
(``Element.oxidation_states_smact14``), which is what ``Element.oxidation_states`` returned in
the SMACT 2.x releases those papers used; SMACT ≥ 3 changed the default to an ICSD-derived list.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import gcd
from typing import Any

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import validity_problem
from dao_engine.errors import DaoError

#: Like DiffCSP: give up (invalid) when the oxidation-state combinations exceed this number.
MAX_OXIDATION_COMBINATIONS = 10**7


@dataclass(frozen=True)
class Validity:
    """Why a prediction is invalid: ``structural`` and ``composition`` are None when that part
    passes, else a short reason."""

    structural: str | None
    composition: str | None

    @property
    def structure_ok(self) -> bool:
        return self.structural is None

    @property
    def composition_ok(self) -> bool:
        return self.composition is None

    @property
    def valid(self) -> bool:
        return self.structural is None and self.composition is None


def _smact() -> tuple[Any, Any, Any]:
    try:
        import smact
        from smact.screening import pauling_test
    except ImportError as exc:
        raise DaoError(
            f"the composition (SMACT) validity test needs the 'smact' package ({exc}); "
            "install it with 'pip install smact'"
        ) from exc
    return smact, smact.neutral_ratios, pauling_test


def reduced_composition(
    species: Sequence[int] | np.ndarray,
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Element symbols sorted by atomic number, and their counts divided by the counts' gcd."""
    counts = Counter(int(z) for z in species)
    if not counts:
        raise DaoError("a composition needs at least one atom")
    zs = sorted(counts)
    divisor = 0
    for z in zs:
        divisor = gcd(divisor, counts[z])
    return tuple(element_symbol(z) for z in zs), tuple(counts[z] // divisor for z in zs)


@lru_cache(maxsize=65536)
def _smact_reason(symbols: tuple[str, ...], counts: tuple[int, ...]) -> str | None:
    smact, neutral_ratios, pauling_test = _smact()
    if len(symbols) == 1:
        return None
    if all(s in smact.metals for s in symbols):
        return None  # alloys pass (include_alloys=True in DiffCSP)
    try:
        elements = [smact.Element(s) for s in symbols]
    except (NameError, KeyError) as exc:
        return f"SMACT has no data for an element of {symbols} ({exc})"
    oxidation_lists = [e.oxidation_states_smact14 or [] for e in elements]
    electronegativities = [e.pauling_eneg for e in elements]
    if (
        int(np.prod([len(o) for o in oxidation_lists], dtype=np.float64))
        > MAX_OXIDATION_COMBINATIONS
    ):
        return "too many oxidation-state combinations to test"
    stoichs = [(c,) for c in counts]
    neutral = False
    for states in itertools.product(*oxidation_lists):
        if not neutral_ratios(states, stoichs=stoichs, threshold=max(counts)):
            continue
        neutral = True
        try:
            if pauling_test(states, electronegativities):
                return None
        except TypeError:  # an element without electronegativity: accept, as DiffCSP does
            return None
    if neutral:
        return "fails the Pauling electronegativity test"
    return "no charge-neutral combination of oxidation states"


def composition_validity(species: Sequence[int] | np.ndarray) -> str | None:
    """None when the composition (atomic numbers, any multiple of the formula) passes the
    SMACT test, else the reason. Raises :class:`DaoError` when SMACT is not installed."""
    symbols, counts = reduced_composition(species)
    reason = _smact_reason(symbols, counts)
    if reason is None:
        return None
    formula = "".join(s if c == 1 else f"{s}{c}" for s, c in zip(symbols, counts, strict=True))
    return f"{formula}: {reason}"


def check_prediction(crystal: Crystal | None, species: Sequence[int] | np.ndarray) -> Validity:
    """Validity of one prediction; ``crystal`` None stands for a sample that came out non-finite.
    ``species`` is the composition to test (the prediction's, equal to the reference's in CSP)."""
    structural = "non-finite sample" if crystal is None else validity_problem(crystal)
    return Validity(structural, composition_validity(species))
