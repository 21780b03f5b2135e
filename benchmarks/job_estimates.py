"""The Predict form's time estimate against the measured time, per preset and composition.

    python benchmarks/job_estimates.py [--formulas NaCl:4,CsV3Sb5:1,Zr4Rh2O:2]
        [--presets Quick,Full] [--no-relax] [--out benchmarks/results/job_estimates.json]

Each run is what the app does with relax-and-rank at its defaults: ``api.predict`` (the preset's
shots × steps, shipped model), library candidates (≤ 5), then CHGNet relax-and-rank (200 FIRE
steps, fmax 0.05). The estimate is ``api.estimate_job`` with ``api.calibrate_sampling`` measured
first in the same process, as the form does. Also recorded: the FIRE steps each CHGNet
relaxation took and the seconds per atom per step, from which the module constants of
``dao_engine/estimates.py`` were set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dao_engine.threads import configure_threads  # noqa: E402

configure_threads()

from dao_engine import api  # noqa: E402
from dao_engine.model_card import git_commit, hardware_name  # noqa: E402
from dao_engine.relax import chgnet_backend  # noqa: E402

PRESETS = {"Quick": (8, 250), "Full": (20, 1000)}
FIRE_LOG: list[tuple[int, int, float]] = []  # (atoms, FIRE steps, seconds) per relaxation


def _record_fire_steps() -> None:
    """Wrap the CHGNet relaxation to log its steps and seconds (the pipeline is unchanged)."""
    original = chgnet_backend.relax_with_chgnet

    def logged(crystal, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        out = original(crystal, *args, **kwargs)
        FIRE_LOG.append((crystal.num_atoms, len(out.energies), time.perf_counter() - started))
        return out

    chgnet_backend.relax_with_chgnet = logged


def run_one(formula: str, z: int, preset: str, relax: bool, cost: api.SamplingCost) -> dict:
    shots, steps = PRESETS[preset]
    switches = api.SourceSwitches()
    settings = api.RelaxRankSettings(relax="chgnet", rank="chgnet")
    library, _ = api.library_sources(formula, switches) if relax else ([], [])
    started = time.perf_counter()
    result = api.predict(api.PredictRequest(formula=formula, z=z, shots=shots, steps=steps))
    sampling_s = time.perf_counter() - started
    atoms = result.candidates[0].crystal.num_atoms
    candidates = api.gather(library, result)
    relax_s, fire_before = 0.0, len(FIRE_LOG)
    if relax:
        started = time.perf_counter()
        for _ in api.relax_and_rank_iter(candidates, settings):
            pass
        relax_s = time.perf_counter() - started
    # the form counts shots + the library limit; here the library's real count is known too
    estimate = api.estimate_job(
        cost, shots, steps, atoms, shots + switches.library_limit if relax else 0,
        settings.chgnet_steps if relax else 0,
    )
    fire = FIRE_LOG[fire_before:]
    return {
        "formula": formula, "z": z, "atoms": atoms, "preset": preset, "shots": shots,
        "steps": steps, "library_candidates": len(library), "relaxed": len(fire),
        "sampling_s": round(sampling_s, 2), "relax_s": round(relax_s, 2),
        "total_s": round(sampling_s + relax_s, 2),
        "estimate_sampling_s": round(estimate.sampling_s, 2),
        "estimate_relax_s": round(estimate.relax_s, 2),
        "estimate_total_s": round(estimate.total_s, 2),
        "fire_steps": [s for _, s, _ in fire],
        "fire_s_per_atom_step": round(
            sum(t for _, _, t in fire) / max(sum(a * s for a, s, _ in fire), 1), 5
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--formulas", default="NaCl:4,CsV3Sb5:1,Zr4Rh2O:2")
    parser.add_argument("--presets", default="Quick,Full")
    parser.add_argument("--no-relax", action="store_true")
    parser.add_argument("--conditions", default="", help="what else ran on the machine")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/job_estimates.json")
    args = parser.parse_args()
    _record_fire_steps()
    started = time.perf_counter()
    cost = api.calibrate_sampling(None, "cpu")
    calibration_s = time.perf_counter() - started
    rows = []
    for item in args.formulas.split(","):
        formula, z = item.split(":")
        for preset in args.presets.split(","):
            row = run_one(formula, int(z), preset, not args.no_relax, cost)
            print(json.dumps(row), flush=True)
            rows.append(row)
    all_fire = [s for r in rows for s in r["fire_steps"]]
    record = {
        "command": "python benchmarks/" + Path(__file__).name + " " + " ".join(sys.argv[1:]),
        "commit": git_commit(),
        "hardware": hardware_name(),
        "model": api.default_model_path().name,
        "calibration": {"overhead_s": cost.overhead_s, "per_pair_s": cost.per_pair_s,
                        "seconds": round(calibration_s, 2)},
        "fire_steps_median": sorted(all_fire)[len(all_fire) // 2] if all_fire else None,
        "conditions": args.conditions,
        "rows": rows,
    }
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
