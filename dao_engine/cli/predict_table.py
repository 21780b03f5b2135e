"""``dao predict`` output: the ranked candidates as CIF files and as a table on stdout."""

from __future__ import annotations

from pathlib import Path

from dao_engine.crystal.structure import Crystal
from dao_engine.io.cif import WrittenCif, write_cif_checked
from dao_engine.prediction import PredictionResult
from dao_engine.ranking.pipeline import file_name
from dao_engine.ranking.relax_rank import RankedResult


def write_ranked(
    ranked: RankedResult, folder: str | Path, formula: str, symmetrize: bool, symprec: float
) -> list[tuple[Path, WrittenCif]]:
    """Write every ranked candidate's final (relaxed) structure, verified by read-back."""
    out = Path(folder)
    written = []
    for item in ranked.candidates:
        path = out / file_name(item.candidate, formula)
        written.append((path, write_cif_checked(item.crystal, path, symmetrize, symprec)))
    return written


def file_energies(
    ranked: RankedResult, files: list[tuple[Path, WrittenCif]], checkpoint: str | None
) -> list[float | None]:
    """DAO-P energy per atom (eV/atom) of the cell each file holds: the candidate's own when
    the file holds its cell, else predicted again on the written (symmetrized) cell."""
    from dao_engine.prediction import get_model
    from dao_engine.prediction_files import fitting_cell
    from dao_engine.ranking.dao_energy import predict_energies

    values: list[float | None] = []
    for item, (_, cif) in zip(ranked.candidates, files, strict=True):
        if cif.crystal is item.crystal or item.dao_energy is None:
            values.append(item.dao_energy)
            continue
        cell = fitting_cell(cif.crystal, get_model(checkpoint, "cpu").max_atoms)
        values.append(None if cell is None else predict_energies([cell], checkpoint)[0])
    return values


def _density(crystal: Crystal) -> float | None:
    """Mass density in g/cm³ (None for a cell of no volume)."""
    from pymatgen.core.periodic_table import Element

    if not crystal.volume > 1e-3:
        return None
    mass = sum(float(Element.from_Z(int(z)).atomic_mass) for z in crystal.species)
    return mass * 1.66053906660 / crystal.volume


def _number(value: float | None, width: int, digits: int) -> str:
    return f"{'—':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def print_ranked(
    ranked: RankedResult,
    files: list[tuple[Path, WrittenCif]],
    prediction: PredictionResult,
    symprec: float,
    energies_in_files: list[float | None],
) -> None:
    """The table: rank, polymorph (its member count), source, space group before → after,
    volume, density, CHGNet energy, ΔE (meV/atom), DAO-P energy of the candidate and of the
    cell in its file, and the file."""
    print(
        f"{'rank':>4} {'poly':>4} {'n':>2} {'source':<34} {'space group before → after':<32} "
        f"{'V/atom Å³':>9} {'ρ g/cm³':>8} {'E CHGNet':>9} {'ΔE meV':>7} {'E DAO-P':>8} "
        f"{'E file':>8}  file"
    )
    rows = zip(ranked.candidates, files, energies_in_files, strict=True)
    for rank, (item, (path, cif), in_file) in enumerate(rows, 1):
        c = item.crystal
        groups = f"{item.space_group_before} → {item.space_group_after}"
        notes = [f"implausible: {item.problem}"] if item.problem else []
        notes += [] if item.relaxed or ranked.settings.relax == "none" else ["not relaxed"]
        notes += [cif.note] if cif.note else []
        note = "".join(f"  [{n}]" for n in notes)
        print(
            f"{rank:>4} {item.polymorph:>4} {item.members:>2} {item.candidate.source:<34.34} "
            f"{groups:<32.32} {c.volume / c.num_atoms:9.3f} {_number(_density(c), 8, 3)} "
            f"{_number(item.chgnet_energy, 9, 4)} {_number(item.delta_mev, 7, 1)} "
            f"{_number(item.dao_energy, 8, 4)} {_number(in_file, 8, 4)}  {path}{note}"
        )
    s = ranked.settings
    polymorphs = len(ranked.polymorphs)
    print(
        f"{len(ranked.candidates)} candidates, {polymorphs} distinct polymorphs; sampling "
        f"{prediction.seconds:.1f} s with {prediction.model_path}; relax {s.relax}, rank by "
        f"{s.rank} energy, {ranked.seconds:.1f} s" + (" (cancelled)" if ranked.cancelled else "")
    )
    print(
        "E CHGNet: CHGNet energy per atom (eV/atom); ΔE: above the lowest plausible candidate; "
        f"E DAO-P: {prediction.energy_label or 'no energy model'}, of the candidate; 'E file' "
        f"of the cell written in the file; space groups at {symprec} Å"
    )
