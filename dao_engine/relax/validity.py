"""Validity checks shared by relaxation and evaluation (the CSP protocol's structural part)."""

from __future__ import annotations

from dao_engine.crystal.structure import Crystal

MIN_DISTANCE = 0.5  # Å: closer atoms count as overlapping
MIN_VOLUME = 0.1  # Å³: smaller cells count as collapsed


def check_validity(
    crystal: Crystal, min_distance: float = MIN_DISTANCE, min_volume: float = MIN_VOLUME
) -> str | None:
    """None when the cell is valid, else the reason (collapsed cell, overlapping atoms, ...)."""
    volume = crystal.volume
    if not volume == volume or volume < min_volume:  # NaN-safe
        return f"collapsed (degenerate) cell (volume {volume:.3g} Å³)"
    distance = crystal.min_interatomic_distance()
    if distance < min_distance:
        return f"overlapping atoms ({distance:.2f} Å apart, minimum {min_distance} Å)"
    return None
