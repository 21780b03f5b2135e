"""Writing a prediction's candidates as CIFs, with the energy of the cell each file holds.

A symmetrized CIF holds the refined (idealised, conventional) cell, not the raw generated one;
its energy is predicted again on that cell so that the number shown next to a file belongs to
the structure in the file. P1 files hold the generated cell, whose energy is already known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import SymmetryError, primitive
from dao_engine.io.cif import WrittenCif, write_cif_checked
from dao_engine.prediction import (
    Candidate,
    PredictionResult,
    PredictRequest,
    _energy_model,
    final_energies,
    get_model,
)
from dao_engine.validation import check_output_dir

__all__ = ["WrittenCandidate", "candidate_file_names", "write_candidates"]


@dataclass(frozen=True)
class WrittenCandidate:
    """A candidate as written: its file, what the file holds and the energy (eV/atom) of the
    cell in the file (None without an energy model)."""

    candidate: Candidate
    path: Path
    written: WrittenCif
    file_energy: float | None


def candidate_file_names(request: PredictRequest) -> list[str]:
    """The file names ``dao predict`` writes for ``request`` (known before sampling)."""
    from dao_engine.crystal.composition import parse_formula

    formula = parse_formula(request.formula).reduced()[0].formula
    return [f"{formula}_shot{shot:03d}.cif" for shot in range(1, request.shots + 1)]


def write_candidates(
    result: PredictionResult,
    folder: str | Path,
    symmetrize: bool = True,
    symprec: float = 0.1,
    force: bool = True,
) -> list[WrittenCandidate]:
    """Write every candidate of ``result`` into ``folder`` (read back and verified, P1 when the
    symmetrized file would not read back) and predict the energy of each written cell."""
    out = check_output_dir(folder, force=force)
    written = []
    for cand in result.candidates:
        name = f"{cand.crystal.formula(reduced=True)}_shot{cand.shot:03d}.cif"
        cif = write_cif_checked(cand.crystal, out / name, symmetrize=symmetrize, symprec=symprec)
        written.append((cand, out / name, cif))
    energies = _file_energies(result.request, [(c, w) for c, _, w in written])
    return [
        WrittenCandidate(c, path, w, e) for (c, path, w), e in zip(written, energies, strict=True)
    ]


def _file_energies(
    request: PredictRequest, items: list[tuple[Candidate, WrittenCif]]
) -> list[float | None]:
    """Energy per atom of each file's cell: the candidate's own when the file holds the
    generated cell, else predicted again on the written cell."""
    energies: list[float | None] = [
        cand.energy_per_atom if cif.crystal is cand.crystal else None for cand, cif in items
    ]
    todo = [i for i, (cand, cif) in enumerate(items) if cif.crystal is not cand.crystal]
    if not todo or all(cand.energy_per_atom is None for cand, _ in items):
        return energies
    loaded = get_model(request.checkpoint, request.device)
    energy = _energy_model(loaded, request)
    if energy is None:
        return energies
    for i in todo:
        cell = fitting_cell(items[i][1].crystal, energy.loaded.max_atoms)
        if cell is not None:
            batch = CrystalBatch.from_crystals([cell]).to(energy.loaded.device)
            with torch.no_grad():
                energies[i] = final_energies(energy, batch)[0]
    return energies


def fitting_cell(crystal: Crystal, max_atoms: int) -> Crystal | None:
    """``crystal``, or its primitive cell when the conventional one exceeds the model's limit."""
    if crystal.num_atoms <= max_atoms:
        return crystal
    try:
        cell = primitive(crystal, symprec=1e-3)
    except SymmetryError:
        return None
    return cell if cell.num_atoms <= max_atoms else None
