"""1-shot match rate of checkpoints on the fixed validation slice (200 MP-20 val crystals held
out of the general corpus; never the test split), the measure models are selected by.

    python benchmarks/validation_match.py MODEL.pt [MODEL.pt ...] [--steps 1000] [--out FILE]

Same sampler settings and seed for every model (step_lr 1e-5, seed 0), so the numbers compare.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from dao_engine.threads import configure_threads

    configure_threads()
    from dao_engine.jobs.corpus import validation_slice
    from dao_engine.model_card import hardware_name
    from dao_engine.prediction import get_model
    from dao_engine.training.curve import one_shot_match_rate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/validation_match.json"))
    args = parser.parse_args()
    references = validation_slice().crystals()
    out = Path(args.out)
    record = json.loads(out.read_text()) if out.is_file() else {"rows": []}
    for model in args.models:
        loaded = get_model(model, "cpu")
        started = time.time()
        rate = one_shot_match_rate(loaded, references, steps=args.steps)
        row = {
            "model": Path(model).name,
            "model_step": loaded.step,
            "references": rate.n,
            "steps": args.steps,
            "match_rate": rate.match_rate,
            "rmse": rate.rmse,
            "valid": rate.valid,
            "sampling_s": rate.sampling_s,
            "wall_s": round(time.time() - started, 1),
            "hardware": hardware_name("cpu"),
            "commit": _commit(),
        }
        record["rows"] = [r for r in record["rows"] if r["model"] != row["model"]] + [row]
        print(json.dumps(row), flush=True)
    record["slice"] = "200 MP-20 val crystals, numpy default_rng(0), held out of the corpus"
    record["command"] = "python benchmarks/validation_match.py " + " ".join(sys.argv[1:])
    out.write_text(json.dumps(record, indent=2) + "\n")
    return 0


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
