"""Issue 11's measurement: top-1 / top-5 match on a fixed random 200 of MP-20 test for raw DAO
samples (shot order), DAO + DAO-P rank, DAO + CHGNet relax-rank, library templates alone, and
everything combined (CHGNet relax-rank into polymorphs), under the standard and strict matchers.

    python benchmarks/relax_rank.py [--n 200] [--shots 5] [--steps 1000] [--model PATH]

One JSON line per composition is appended to ``--rows`` (default named after the split and the
model; resumable: compositions already there are skipped); ``--summarise`` writes the summary
JSON from the rows. Rows record the model, the reference's space group and each ranked
polymorph's space group after relaxation (symprec 0.1 Å).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.known_structures import references, strict_match  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _flags(crystals, reference) -> tuple[list[bool], list[bool]]:  # type: ignore[no-untyped-def]
    from dao_engine.evaluation.matching import match_pair

    standard = [match_pair(c, reference).matched for c in crystals]
    strict = [m and strict_match(c, reference) for c, m in zip(crystals, standard, strict=True)]
    return standard, strict


def _ranked_rows(result, reference) -> dict:  # type: ignore[no-untyped-def]
    best = result.polymorphs
    standard, strict = _flags([c.crystal for c in best], reference)
    return {
        "sources": [c.candidate.source for c in best],
        "match": standard,
        "strict": strict,
        "members": [c.members for c in best],
        "space_group_after": [c.space_group_after for c in best],
    }


def one_composition(reference, args) -> dict:  # type: ignore[no-untyped-def]
    from dao_engine.prediction import PredictRequest, predict
    from dao_engine.ranking.relax_rank import RelaxRankSettings, rank, relax_and_rank_iter
    from dao_engine.ranking.sources import from_library, from_prediction

    formula = reference.formula()
    timings = {}
    started = time.perf_counter()
    request = PredictRequest(
        formula,
        num_atoms=reference.num_atoms,
        shots=args.shots,
        steps=args.steps,
        seed=args.seed,
        device="cpu",
        checkpoint=args.model,
    )
    result = predict(request)
    samples = sorted(from_prediction(result), key=lambda c: c.shot or 0)
    timings["sampling_s"] = time.perf_counter() - started
    started = time.perf_counter()
    library = from_library(formula, limit=args.templates)
    timings["library_s"] = time.perf_counter() - started
    everything = samples + library
    settings = RelaxRankSettings("chgnet", "chgnet", chgnet_steps=args.chgnet_steps, fmax=args.fmax)
    started = time.perf_counter()
    final = None
    for event in relax_and_rank_iter(everything, settings):
        final = event if hasattr(event, "candidates") else final
    timings["relax_rank_s"] = time.perf_counter() - started
    by_source = {c.candidate.source: c for c in final.candidates}
    pairs = [(by_source[c.source].crystal, by_source[c.source].relaxed) for c in samples]
    dao_chgnet = rank(samples, pairs, settings)
    dao_order = sorted(samples, key=lambda c: (c.problem is not None, c.dao_energy or 0.0))
    raw, raw_strict = _flags([c.crystal for c in samples], reference)
    by_dao, by_dao_strict = _flags([c.crystal for c in dao_order], reference)
    lib, lib_strict = _flags([c.crystal for c in library], reference)
    return {
        "id": reference.label,
        "formula": formula,
        "model": Path(args.model).name,
        "reference_space_group": _space_group(reference),
        "atoms": reference.num_atoms,
        "dao_shot_order": {"match": raw, "strict": raw_strict},
        "dao_daop_rank": {"match": by_dao, "strict": by_dao_strict},
        "dao_chgnet_relax_rank": _ranked_rows(dao_chgnet, reference),
        "templates": {"match": lib, "strict": lib_strict, "sources": [c.source for c in library]},
        "combined": _ranked_rows(final, reference),
        **{k: round(v, 2) for k, v in timings.items()},
    }


def _space_group(crystal) -> str:  # type: ignore[no-untyped-def]
    from dao_engine.ranking.relax_rank import _symbol

    return _symbol(crystal)


def _same_space_group_top1(rows: list[dict], method: str) -> float | None:
    """% of rows whose top-ranked polymorph has the reference's space group (None: not recorded)."""
    usable = [r for r in rows if "reference_space_group" in r and r[method]["space_group_after"]]
    if not usable:
        return None
    same = sum(r[method]["space_group_after"][0] == r["reference_space_group"] for r in usable)
    return round(100.0 * same / len(usable), 1)


def summarise(rows: list[dict]) -> dict:
    methods = ("dao_shot_order", "dao_daop_rank", "dao_chgnet_relax_rank", "templates", "combined")
    out: dict = {"n": len(rows)}
    for method in methods:
        for key in ("match", "strict"):
            for k in (1, 5):
                hits = sum(any(r[method][key][:k]) for r in rows)
                out[f"{method}_{key}_top{k}"] = round(100.0 * hits / max(len(rows), 1), 1)
    for method in ("dao_chgnet_relax_rank", "combined"):
        out[f"{method}_top1_same_space_group"] = _same_space_group_top1(rows, method)
    out["models"] = sorted({r.get("model", "unrecorded") for r in rows})
    for key in ("sampling_s", "library_s", "relax_rank_s"):
        out[f"mean_{key}"] = round(sum(r[key] for r in rows) / max(len(rows), 1), 2)
    return out


def _read_rows(path: Path) -> dict[str, dict]:
    """The rows written so far, by reference id (a composition done twice counts once)."""
    if not path.is_file():
        return {}
    rows = (json.loads(line) for line in path.read_text().splitlines() if line)
    return {row["id"]: row for row in rows}


def main() -> int:
    from dao_engine.threads import configure_threads

    configure_threads()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--templates", type=int, default=5)
    parser.add_argument("--chgnet-steps", type=int, default=60)
    parser.add_argument("--fmax", type=float, default=0.1)
    parser.add_argument(
        "--split",
        choices=("test", "val"),
        default="test",
        help="test: a fixed random --n of MP-20 test; val: the validation slice",
    )
    parser.add_argument("--model", default=None, help="generator (default: the shipped default)")
    parser.add_argument("--rows", type=Path, default=None)
    parser.add_argument("--summarise", action="store_true")
    parser.add_argument(
        "--reverse",
        action="store_true",
        help="take the references from the end (a second process on the same rows file)",
    )
    args = parser.parse_args()
    from dao_engine.prediction import default_model_path

    args.model = str(args.model or default_model_path())
    stem = Path(args.model).stem
    args.rows = args.rows or RESULTS / f"relax_rank_mp20_{args.split}_{stem}_rows.jsonl"
    done = _read_rows(args.rows)
    if not args.summarise:
        chosen = references(args.split, args.n, args.seed)
        for reference in reversed(chosen) if args.reverse else chosen:
            done = _read_rows(args.rows)  # another process may be filling the same file
            if reference.label in done:
                continue
            row = one_composition(reference, args)
            with args.rows.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            done[row["id"]] = row
            print(len(done), row["formula"], json.dumps(summarise(list(done.values()))), flush=True)
    summary = summarise(list(done.values()))
    print(json.dumps(summary, indent=1))
    if args.summarise:
        _write_summary(summary, args)
    return 0


def _write_summary(summary: dict, args: argparse.Namespace) -> None:
    import subprocess

    from dao_engine.model_card import hardware_name

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    record = {
        "summary": summary,
        "references": (
            f"MP-20 test, numpy default_rng({args.seed}).choice(9046, {args.n}) sorted, in order"
            if args.split == "test"
            else "the validation slice: 200 MP-20 val crystals held out of the corpus and library"
        )
        + f"; the first {summary['n']} done",
        "settings": {
            "shots": args.shots,
            "steps": args.steps,
            "library_candidates": args.templates,
            "chgnet_steps": args.chgnet_steps,
            "fmax_eV_per_A": args.fmax,
        },
        "rows": str(args.rows.relative_to(ROOT)),
        "hardware": hardware_name("cpu") + ", 1 torch thread",
        "summarised_at_commit": commit,
        "model": args.model,
        "command": f"python benchmarks/relax_rank.py --split {args.split} --n {args.n} "
        f"--model {args.model}",
    }
    out = RESULTS / f"relax_rank_mp20_{args.split}_{Path(args.model).stem}.json"
    out.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
