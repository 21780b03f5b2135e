"""Wall time of the app's default prediction (20 shots, 1000 steps) with the shipped model.

    python benchmarks/cpu_prediction.py [--formulas NaCl:4,CsV3Sb5:2,Zr4Rh2O:2] [--device cpu]
        [--out benchmarks/results/cpu_prediction.json]

Each formula:Z is one ``api.predict`` call exactly as the app makes it (defaults of
``PredictRequest``: 20 shots, 1000 steps, no guidance), timed end to end after one warm-up
(model load). Also times ``api.predict_tc`` on the 20 candidates.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dao_engine import api  # noqa: E402
from dao_engine.model_card import git_commit, hardware_name  # noqa: E402


def time_one(formula: str, z: int, device: str) -> dict[str, object]:
    request = api.PredictRequest(formula=formula, z=z, device=device)
    started = time.perf_counter()
    result = api.predict(request)
    seconds = time.perf_counter() - started
    crystals = [c.crystal for c in result.candidates if not c.problem]
    tc_started = time.perf_counter()
    tc = api.predict_tc(crystals, device=device) if crystals else []
    return {
        "formula": formula,
        "z": z,
        "atoms": result.candidates[0].crystal.num_atoms,
        "shots": request.shots,
        "steps": request.steps,
        "seconds": round(seconds, 2),
        "plausible": len(crystals),
        "tc_seconds": round(time.perf_counter() - tc_started, 3),
        "median_tc_K": round(sorted(p.tc for p in tc)[len(tc) // 2], 3) if tc else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--formulas", default="NaCl:4,CsV3Sb5:2,Zr4Rh2O:2")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="benchmarks/results/cpu_prediction.json")
    args = parser.parse_args()
    from dao_engine.threads import configure_threads

    configure_threads()  # the project's thread rule, as the CLI and the app apply it
    api.predict(api.PredictRequest(formula="NaCl", shots=1, steps=2, device=args.device))
    runs = []
    for item in args.formulas.split(","):
        formula, z = item.split(":")
        runs.append(time_one(formula, int(z), args.device))
        print(runs[-1], flush=True)
    record = {
        "command": "python " + " ".join(sys.argv),
        "commit": git_commit(),
        "hardware": hardware_name(args.device),
        "torch_threads": torch.get_num_threads(),
        "model": api.default_model_path().name,
        "runs": runs,
    }
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
