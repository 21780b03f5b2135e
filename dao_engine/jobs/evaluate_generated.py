"""Match a GPU job's generated structures against its test split on a CPU (pymatgen side).

    python -m dao_engine.jobs.evaluate_generated OUT/generated_1shot.npz \
        --test gpu_data/perov_5/test.npz --log OUT/job_log.json [--processes 2] [--out FILE]

Writes ``benchmarks/results/<model>_<dataset>.json`` (or ``--out``) in ``dao evaluate``'s
format: command, commit, hardware, minutes of training, test structures, ``match_rate``
(percent), ``rmse``, validity and samples per second, taken from the job's log where they
describe the GPU run. Only test crystals with all their shots sampled are evaluated.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.errors import DaoError, DatasetError
from dao_engine.io.atomic import write_text_atomic
from dao_engine.model_card import git_commit


def predictions_by_reference(
    generated: CrystalArrays, n_refs: int
) -> tuple[list[int], list[list[Any]]]:
    """Test rows with a full set of shots, and their shots as ``[reference][shot]`` ``Shot`` s
    (a sample with non-finite numbers becomes ``Shot(None)``, i.e. a miss)."""
    from dao_engine.evaluation.protocol import Shot

    rows = generated.labels["ref_index"].astype(np.int64)
    shot = generated.labels["shot"].astype(np.int64)
    k = int(shot.max()) + 1 if len(shot) else 0
    table: list[list[Any]] = [[None] * k for _ in range(n_refs)]
    for s in range(len(generated)):
        c = generated.crystal(s)
        finite = bool(np.isfinite(c.lattice).all() and np.isfinite(c.frac).all())
        energy = float(generated.energy[s]) if np.isfinite(generated.energy[s]) else None
        table[rows[s]][shot[s]] = Shot(c if finite else None, energy)
    complete = [r for r in range(n_refs) if k and all(x is not None for x in table[r])]
    return complete, [table[r] for r in complete]


def _references(test: CrystalArrays, generated: CrystalArrays) -> CrystalArrays:
    """The test rows the job sampled (its subset), checked against the stored fingerprint."""
    rows = json.loads(generated.meta.get("test_rows", "null"))
    refs = test if rows is None else test.subset(rows)
    if generated.meta.get("test_fingerprint") not in (None, refs.fingerprint()):
        raise DatasetError(
            "the generated file was sampled from another test split; pass its --test"
        )
    return refs


def evaluate_generated(
    generated_path: Path,
    test_path: Path,
    log_path: Path | None = None,
    processes: int = 2,
    command: str = "",
) -> dict[str, Any]:
    """Run the CSP protocol on a generated ``.npz``; returns the JSON record."""
    from dao_engine.evaluation.protocol import ProtocolResult, evaluate_predictions_iter

    generated = CrystalArrays.load_npz(generated_path)
    refs_all = _references(CrystalArrays.load_npz(test_path), generated)
    complete, predictions = predictions_by_reference(generated, len(refs_all))
    if not complete:
        raise DatasetError(f"{generated_path} holds no test crystal with all its shots")
    refs: list[Crystal] = [refs_all.crystal(r) for r in complete]
    result = None
    for event in evaluate_predictions_iter(refs, predictions, processes):
        if isinstance(event, ProtocolResult):
            result = event
    if result is None:
        raise DaoError("the protocol ended without a result")
    job = json.loads(log_path.read_text()) if log_path and log_path.is_file() else {}
    return build_record(generated, refs, result, job, command)


def build_record(
    generated: CrystalArrays,
    refs: Sequence[Crystal],
    result: Any,
    job: dict[str, Any],
    command: str,
) -> dict[str, Any]:
    """The record (``dao evaluate``'s fields) from the protocol result and the job's log."""
    sampling = json.loads(generated.meta.get("sampling", "{}"))
    numbers = result.to_dict(per_reference=True)
    per_reference = numbers.pop("per_reference")
    for entry, ref in zip(per_reference, refs, strict=True):
        entry.update(id=ref.label, formula=ref.formula(reduced=True), atoms=ref.num_atoms)
    notes = list(numbers.pop("notes"))
    if sampling.get("stopped_early"):
        notes.append("sampling stopped at the job's deadline; only complete test crystals count")
    if generated.meta.get("dataset") == "mp_20":
        notes.append("MP-20's train coordinates are not available; trained on the general corpus")
    shots = int(sampling.get("shots", 1))
    return {
        "command": job.get("command", "?") + " ; " + command,
        "commit": job.get("commit", "unknown"),
        "evaluation_commit": git_commit(),
        "hardware": job.get("hardware", "?"),
        "torch": job.get("torch"),
        "device": job.get("device"),
        "bf16_autocast": job.get("bf16_autocast"),
        "model": generated.meta.get("model"),
        "model_step": int(generated.meta.get("model_step", 0)),
        "train_minutes": (job.get("train") or {}).get("train_minutes_total"),
        "train_data": (job.get("arrays") or {}).get("train_sources"),
        "dataset": generated.meta.get("dataset"),
        "test_structures": len(refs),
        "subset": generated.meta.get("subset"),
        "shots": shots,
        "steps": sampling.get("steps"),
        "step_lr": sampling.get("step_lr"),
        "seed": sampling.get("seed"),
        "batch_size": sampling.get("batch_size"),
        **numbers,
        "notes": notes,
        "samples_per_s": sampling.get("structures_per_s"),
        "sampling_s": sampling.get("wall_s"),
        "per_reference": per_reference,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dao_engine.jobs.evaluate_generated")
    p.add_argument("generated", help="generated_<k>shot.npz written by the GPU job")
    p.add_argument("--test", required=True, help="the job's test.npz (gpu_data/<name>/test.npz)")
    p.add_argument("--log", default=None, help="the job's job_log.json")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--out", default=None, help="default benchmarks/results/<model>_<dataset>.json")
    args = p.parse_args(argv)
    command = "python -m dao_engine.jobs.evaluate_generated " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    try:
        record = evaluate_generated(
            Path(args.generated),
            Path(args.test),
            args.log and Path(args.log),
            args.processes,
            command,
        )
    except DaoError as exc:
        print(f"error: {exc}")
        return 2
    name = f"{record['model']}_{record['dataset']}.json"
    out = Path(args.out) if args.out else Path("benchmarks") / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    k = record["shots"]
    print(
        f"{record['model']} on {record['dataset']} ({record['test_structures']} test crystals): "
        f"1-shot {record['match_rate']:.2f} % (RMSE {record['rmse']}), {k}-shot "
        f"{record['match_rate_k']:.2f} %; validity {record['validity']}; wrote {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
