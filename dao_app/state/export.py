"""Export candidates to structure files (Qt-free): CIF (symmetrized or P1), POSCAR, extended XYZ.

CIFs carry the candidate's provenance as ``_dao_*`` data items (model, model sha256, energy,
seed, source; see :func:`provenance`), which pymatgen and ASE read past.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from dao_app.state.candidates import CandidateRecord
from dao_app.state.jobs import JobList
from dao_engine import api

#: format → (file suffix, label for menus and file dialogs)
FORMATS: dict[str, tuple[str, str]] = {
    "cif": (".cif", "CIF"),
    "poscar": (".vasp", "POSCAR (VASP)"),
    "xyz": (".extxyz", "Extended XYZ"),
}


def file_filter(fmt: str) -> str:
    """A Qt file-dialog filter for one format, e.g. ``CIF (*.cif)``."""
    suffix, label = FORMATS[fmt]
    return f"{label} (*{suffix})"


def format_for_filter(name_filter: str) -> str:
    """The format whose :func:`file_filter` is ``name_filter`` (CIF when unknown)."""
    return next((fmt for fmt in FORMATS if file_filter(fmt) == name_filter), "cif")


def safe_name(record: CandidateRecord) -> str:
    """A file-name stem such as ``NaCl_3`` (only letters, digits, ``_`` and ``-``)."""
    stem = f"{record.crystal.formula(reduced=True)}_{record.uid}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem)


def provenance(record: CandidateRecord, jobs: JobList | None = None) -> dict[str, object]:
    """Where a candidate came from, as ``_dao_*`` CIF items (None values are left out).

    ``model`` is the generator's file name, ``model_sha256`` its digest (when the file is still
    there), ``seed`` the job's random seed and ``shot`` the sample within the job.
    """
    job = jobs.get(record.job_id) if jobs is not None and record.job_id is not None else None
    output = jobs.outputs.get(record.job_id) if jobs is not None and record.job_id else None
    model_path = (output.model_path if output else "") or (job.request.checkpoint if job else None)
    if job is not None and not model_path and record.model:
        model_path = str(api.default_model_path())
    sha = api.file_sha256(model_path) if model_path else None
    if sha is not None and record.model and Path(model_path).name != record.model:
        sha = None  # the job's file is not the one named (a relaxation or library entry)
    energy = record.energy_per_atom
    return {
        "model": record.model or None,
        "model_sha256": sha,
        "energy_per_atom": float(energy) if energy is not None else None,
        "energy_label": record.energy_label or None,
        "seed": job.request.seed if job is not None else None,
        "shot": record.shot,
        "source": record.source_text,
        "uid": record.uid,
    }


def export_one(
    record: CandidateRecord,
    path: str | Path,
    fmt: str | None = None,
    symmetrize: bool = True,
    symprec: float = api.DEFAULT_SYMPREC,
    jobs: JobList | None = None,
) -> Path:
    """Write one candidate; ``fmt`` None infers the format from the file name.

    A CIF gets the ``_dao_*`` provenance items of :func:`provenance` (``jobs`` supplies the
    seed and the model file). Raises ``api.StructureParseError`` for an unknown format and
    OSError when the file cannot be written.
    """
    crystal = record.crystal.with_label(record.name)
    is_cif = fmt == "cif" or (fmt is None and Path(path).name.lower().endswith(".cif"))
    if not is_cif:
        return api.write_structure(crystal, path, fmt=fmt, symmetrize=symmetrize, symprec=symprec)
    written = api.write_cif_checked(crystal, None, symmetrize=symmetrize, symprec=symprec)
    text = api.add_cif_provenance(written.text, provenance(record, jobs))
    return api.write_text_atomic(path, text)


def export_many(
    records: Sequence[CandidateRecord],
    directory: str | Path,
    fmt: str = "cif",
    symmetrize: bool = True,
    symprec: float = api.DEFAULT_SYMPREC,
    jobs: JobList | None = None,
) -> list[Path]:
    """Write each candidate to ``directory/<formula>_<uid><suffix>``; returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = FORMATS[fmt][0]
    return [
        export_one(r, directory / f"{safe_name(r)}{suffix}", fmt, symmetrize, symprec, jobs)
        for r in records
    ]
