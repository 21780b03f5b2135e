"""Checks behind the predict form's inline messages (Qt-free, engine rules via ``api``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dao_engine import api

#: Cell-size limit assumed until the chosen model has been read (DAO-G default training size).
FALLBACK_MAX_ATOMS = 20


@dataclass(frozen=True)
class FormulaCheck:
    """Outcome of checking a composition.

    Attributes:
        ok: True when a prediction can be asked for.
        message: what is wrong (shown under the field), or a short confirmation.
        z_choices: [(Z, number of atoms)] the model can hold.
        default_z: the suggested Z (one of ``z_choices``) when ok.
        reduced: the reduced formula, e.g. ``NaCl``.
    """

    ok: bool
    message: str
    z_choices: list[tuple[int, int]] = field(default_factory=list)
    default_z: int | None = None
    reduced: str = ""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def check_formula(text: str, max_atoms: int | None = None) -> FormulaCheck:
    """Validate ``text`` as a composition for a model of ``max_atoms`` atoms per cell.

    Empty input, unknown elements, disordered (fractional) amounts and formulas too big for
    the model give ``ok=False`` with the engine's explanation.
    """
    limit = max_atoms or FALLBACK_MAX_ATOMS
    if not text.strip():
        return FormulaCheck(False, "Type a composition, for example NaCl, CsV3Sb5 or Zr16Rh8O4.")
    try:
        composition = api.parse_formula(text)
        unit, _ = composition.reduced()
        choices = api.z_options(text, limit)
    except api.DaoError as exc:
        return FormulaCheck(False, _sentence(str(exc)) + ".")
    if not choices:
        return FormulaCheck(
            False,
            f"One formula unit of {unit.formula} has {unit.num_atoms} atoms; the model holds at "
            f"most {limit} atoms per cell. Choose another model or a smaller composition.",
            reduced=unit.formula,
        )
    z = api.default_z(text, limit)
    per_unit = unit.num_atoms
    message = f"{unit.formula}: {per_unit} atom{'s' if per_unit > 1 else ''} per formula unit"
    return FormulaCheck(True, message, choices, z, unit.formula)
