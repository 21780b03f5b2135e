"""The session: everything a user would lose on a crash, and its JSON file format.

File format (``*.daosession``, UTF-8 JSON), schema ``dao-studio-session`` version 1::

    {"schema": "dao-studio-session", "version": 1,
     "inputs": {...form values...},
     "symprec": 0.1,
     "reference": {"path": "...", "crystal": CRYSTAL} | null,
     "candidates": [{"uid", "source", "job_id", "shot", "rank", "energy_per_atom", "model",
                     "energy_label", "tc": TC | null, "crystal": CRYSTAL}, ...],
     "jobs": [{"job_id", "formula", "model_path", "seconds", "total_steps", "energy_label",
               "energy_trajectories": [[...]], "frames": [[step, [CRYSTAL, ...]], ...]}]}

CRYSTAL = {"label", "lattice": 3×3 Å (rows a, b, c), "frac": N×3, "species": N atomic numbers}.
TC = {"tc", "tc_low", "tc_high" (K), "ln_tc_mean", "ln_tc_std", "members": [K, ...],
"label": the T_c model that predicted it} (optional; older files have none).
A relax-and-rank candidate also has "ranking": {"origin", "polymorph", "members", "delta_mev",
"chgnet_energy", "space_group_before", "space_group_after", "relaxed", "relax", "rank",
"cancelled"} (optional; ``crystal`` is then the relaxed structure).
Arrays are stored exactly (not as CIF, which would re-orient the cell). Derived columns (space
group, density, matches) are recomputed on load. Saved T_c values are restored with their model
label; the app recomputes them when T_c prediction is on and its model can be read (see
``dao_app.tc_controller``); the reference's T_c is always recomputed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dao_app.state.candidates import CandidateList, CandidateRecord, RankInfo
from dao_app.state.jobs import JobList, JobOutput
from dao_app.state.tc import tc_from_dict, tc_to_dict
from dao_engine import api

SCHEMA = "dao-studio-session"
VERSION = 1
SUFFIX = ".daosession"


class SessionFileError(api.DaoError):
    """A session file cannot be read or written; the message names the file and the fix."""


@dataclass
class Reference:
    """The experimental/known structure candidates are compared with."""

    crystal: api.Crystal
    path: str = ""


@dataclass
class Session:
    """Plain-Python state of one window."""

    candidates: CandidateList = field(default_factory=CandidateList)
    jobs: JobList = field(default_factory=JobList)
    reference: Reference | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def crystal_to_dict(crystal: api.Crystal) -> dict[str, Any]:
    return {
        "label": crystal.label,
        "lattice": [[round(float(v), 10) for v in row] for row in crystal.lattice],
        "frac": [[round(float(v), 10) for v in row] for row in crystal.frac],
        "species": [int(z) for z in crystal.species],
    }


def crystal_from_dict(data: dict[str, Any]) -> api.Crystal:
    return api.Crystal(data["lattice"], data["frac"], data["species"], str(data.get("label", "")))


def session_to_dict(session: Session) -> dict[str, Any]:
    """The JSON-ready content of ``session`` (see the module docstring)."""
    ref = session.reference
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "inputs": dict(session.inputs),
        "symprec": session.candidates.symprec,
        "reference": None
        if ref is None
        else {"path": ref.path, "crystal": crystal_to_dict(ref.crystal)},
        "candidates": [_record_to_dict(r) for r in session.candidates],
        "jobs": [_output_to_dict(o) for o in session.jobs.outputs.values()],
    }


def _record_to_dict(r: CandidateRecord) -> dict[str, Any]:
    return {
        "uid": r.uid,
        "source": r.source,
        "job_id": r.job_id,
        "shot": r.shot,
        "rank": r.rank,
        "energy_per_atom": r.energy_per_atom,
        "model": r.model,
        "energy_label": r.energy_label,
        "tc": None if r.tc is None else tc_to_dict(r.tc, r.tc_label),
        "crystal": crystal_to_dict(r.crystal),
        **({} if r.ranking is None else {"ranking": asdict(r.ranking)}),
        **({"chgnet_energy": r.extra["chgnet_energy"]} if "chgnet_energy" in r.extra else {}),
    }


def _output_to_dict(o: JobOutput) -> dict[str, Any]:
    return {
        "job_id": o.job_id,
        "formula": o.formula,
        "model_path": o.model_path,
        "seconds": o.seconds,
        "total_steps": o.total_steps,
        "energy_label": o.energy_label,
        "energy_trajectories": o.energy_trajectories,
        "frames": [[step, [crystal_to_dict(c) for c in crystals]] for step, crystals in o.frames],
    }


def session_from_dict(data: dict[str, Any], where: str = "session") -> Session:
    """Rebuild a :class:`Session`; raises SessionFileError naming what is wrong."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise SessionFileError(f"{where} is not a DAO Studio session file (no '{SCHEMA}' schema)")
    if int(data.get("version", 0)) > VERSION:
        raise SessionFileError(
            f"{where} was saved by a newer DAO Studio (session version {data['version']}); "
            "update DAO Studio to open it"
        )
    try:
        candidates = CandidateList(symprec=float(data.get("symprec", api.DEFAULT_SYMPREC)))
        records = [
            candidates.new_record(
                crystal_from_dict(c["crystal"]),
                str(c.get("source", "")),
                job_id=c.get("job_id"),
                shot=c.get("shot"),
                rank=c.get("rank"),
                energy_per_atom=c.get("energy_per_atom"),
                model=str(c.get("model", "")),
                energy_label=str(c.get("energy_label", "")),
                ranking=RankInfo(**c["ranking"]) if c.get("ranking") else None,
                extra=(
                    {"chgnet_energy": float(c["chgnet_energy"])}
                    if isinstance(c.get("chgnet_energy"), (int, float))
                    else {}
                ),
            )
            for c in data.get("candidates", [])
        ]
        for record, c in zip(records, data.get("candidates", []), strict=True):
            record.uid = int(c["uid"])
            if c.get("tc"):
                record.tc, record.tc_label = tc_from_dict(c["tc"])
        candidates.replace_all(records)
        jobs = JobList()
        for o in data.get("jobs", []):
            out = JobOutput(
                int(o["job_id"]),
                str(o.get("formula", "")),
                [list(map(float, t)) for t in o.get("energy_trajectories", [])],
                [
                    (int(step), [crystal_from_dict(c) for c in cs])
                    for step, cs in o.get("frames", [])
                ],
                str(o.get("model_path", "")),
                float(o.get("seconds", 0.0)),
                int(o.get("total_steps", 0)),
                str(o.get("energy_label", "")),
            )
            jobs.outputs[out.job_id] = out
            jobs.reserve_ids(out.job_id)
        ref = data.get("reference")
        reference = (
            None
            if not ref
            else Reference(crystal_from_dict(ref["crystal"]), str(ref.get("path", "")))
        )
    except (KeyError, TypeError, ValueError, api.DaoError) as exc:
        raise SessionFileError(
            f"{where} is damaged ({type(exc).__name__}: {exc}); "
            "open the autosave copy or an older session"
        ) from exc
    for record in records:
        if record.job_id is not None:
            jobs.reserve_ids(record.job_id)
    return Session(candidates, jobs, reference, dict(data.get("inputs") or {}))


def save_session(session: Session, path: str | os.PathLike[str]) -> Path:
    """Write ``session`` to ``path`` atomically (a crash mid-write keeps the old file)."""
    path = Path(path)
    try:
        api.write_text_atomic(path, json.dumps(session_to_dict(session)))
    except OSError as exc:
        raise SessionFileError(
            f"cannot write the session to '{path}': {exc.strerror or exc}; choose another folder"
        ) from exc
    return path


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read a session file; raises SessionFileError for missing, non-JSON or foreign files."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SessionFileError(f"no such session file: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionFileError(f"'{path.name}' is not a readable session file ({exc})") from exc
    session = session_from_dict(data, f"'{path.name}'")
    session.path = path
    return session
