"""Grouping candidates into distinct polymorphs with the CSP StructureMatcher."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dao_engine.crystal.structure import Crystal


def same_structure(a: Crystal, b: Crystal) -> bool:
    """The CSP StructureMatcher (stol 0.5, ltol 0.3, angle_tol 10) matches ``a`` and ``b``."""
    from dao_engine.evaluation.matching import match_pair

    return match_pair(a, b).matched


def group_polymorphs(
    crystals: Sequence[Crystal], match: Callable[[Crystal, Crystal], bool] = same_structure
) -> list[int]:
    """Polymorph index (0-based, in order of first appearance) of every crystal: a crystal
    joins the first polymorph whose first member it matches. (No space-group shortcut: a
    slightly distorted sample of a structure has a lower space group but still matches.)"""
    heads: list[int] = []
    labels: list[int] = []
    for i, crystal in enumerate(crystals):
        for label, head in enumerate(heads):
            if match(crystal, crystals[head]):
                labels.append(label)
                break
        else:
            heads.append(i)
            labels.append(len(heads) - 1)
    return labels
