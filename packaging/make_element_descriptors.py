"""Write ``dao_engine/data/element_descriptors.json`` from pymatgen's periodic-table data.

Run once by a developer (``python packaging/make_element_descriptors.py``); the JSON is committed
so the models need no pymatgen at run time (the GPU machine has only torch). The descriptors are
those of CGCNN's atom features (Xie & Grossman 2018): group, period, block, Pauling
electronegativity, atomic radius, valence electrons, first ionisation energy, electron affinity and
molar volume. Missing values are written as null.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from pymatgen.core.periodic_table import Element

OUT = Path(__file__).resolve().parents[1] / "dao_engine" / "data" / "element_descriptors.json"


def _safe(fn):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = fn()
        except Exception:
            return None
    return None if value is None or value != value else float(value)


def _valence_electrons(el: Element) -> float | None:
    """Electrons outside the last closed noble-gas core (s + p, plus open d/f shells)."""
    try:
        shells = el.full_electronic_structure
    except Exception:
        return None
    n_max = max(n for n, _, _ in shells)
    count = sum(e for n, orb, e in shells if n == n_max)
    count += sum(e for n, orb, e in shells if orb in "df" and n < n_max and e < (10 if orb == "d" else 14))
    return float(count)


def describe(z: int) -> dict[str, object]:
    el = Element.from_Z(z)
    return {
        "Z": z,
        "symbol": el.symbol,
        "group": _safe(lambda: el.group),
        "period": _safe(lambda: el.row),
        "block": el.block,
        "electronegativity": _safe(lambda: el.X),
        "atomic_radius": _safe(lambda: el.atomic_radius),
        "valence_electrons": _valence_electrons(el),
        "first_ionization_energy": _safe(lambda: el.ionization_energy),
        "electron_affinity": _safe(lambda: el.electron_affinity),
        "molar_volume": _safe(lambda: el.molar_volume),
    }


def main() -> None:
    table = [describe(z) for z in range(1, 101)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"source": "pymatgen periodic_table", "elements": table}, indent=1))
    print(f"wrote {OUT} ({len(table)} elements)")


if __name__ == "__main__":
    main()
