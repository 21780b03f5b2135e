"""Ship a trained checkpoint: an fp16 inference copy in ``resources/models/``, its model card and
its sha256 in ``MODELS.json``.

    python -m dao_engine.jobs.ship_model TRAINING.pt NAME.pt --result benchmarks/results/X.json \
        [--result ...] [--notes-file notes.md] [--curve benchmarks/results/learning_curve_general.jsonl]

The card's metrics come from the evaluation JSON records given (``dao evaluate`` output) and, with
``--curve``, from the learning curve's last match on the validation slice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dao_engine.io.atomic import write_text_atomic
from dao_engine.io.checkpoint import inference_payload, load_checkpoint, save_checkpoint
from dao_engine.model_card import write_card
from dao_engine.prediction import MANIFEST_NAME, MODELS_DIR


def metrics_from_record(path: Path) -> dict[str, str]:
    """One card line per ``dao evaluate`` record: 1-shot / k-shot / energy-selected match."""
    r = json.loads(path.read_text())
    label = (
        f"{r.get('dataset')}, {r.get('references')} crystals ({r.get('subset')}), "
        f"{r.get('shots')} shot(s), {r.get('steps')} steps, step_lr {r.get('step_lr')}"
    )
    parts = [f"1-shot match {r.get('match_rate')} % (RMSE {_round(r.get('rmse'))})"]
    if (r.get("shots") or 1) > 1:
        parts.append(
            f"{r.get('shots')}-shot {r.get('match_rate_k')} % (RMSE {_round(r.get('rmse_k'))})"
        )
    if r.get("match_rate_energy") is not None:
        parts.append(f"energy-selected {r.get('match_rate_energy')} %")
    parts.append(f"valid {(r.get('validity') or {}).get('both')} %")
    parts.append(f"sampling {r.get('sampling_s', 0) / 60:.1f} min on {r.get('hardware')}")
    return {label: "; ".join(parts) + f"; file {path}"}


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def metrics_from_curve(path: Path, upto_step: int) -> dict[str, str]:
    """The last validation-slice match of the curve taken at or before ``upto_step`` (the
    shipped checkpoint's step: a later row measured other weights)."""
    from dao_engine.training.curve import LearningCurve

    matched = [
        r
        for r in LearningCurve(path).rows()
        if r.get("val_match_1shot") is not None and r["step"] <= upto_step
    ]
    if not matched:
        return {}
    r = matched[-1]
    return {
        "validation slice (200 MP-20 val crystals held out of the corpus), 1-shot, "
        f"{r.get('val_match_steps')} steps, at step {r['step']}": f"match {r['val_match_1shot']} % "
        f"(RMSE {r.get('val_match_rmse')}), valid {r.get('val_valid')} %; file {path}"
    }


def ship(
    training: Path,
    name: str,
    results: Sequence[Path],
    notes: str,
    curve: Path | None,
    models_dir: Path = MODELS_DIR,
    card_only: bool = False,
    step_lr: float | None = None,
    cell_atoms: tuple[int, int] | None = None,
) -> Path:
    """Write ``models_dir/name``, its card and its manifest entry; returns the model path.
    ``card_only`` rewrites the card of an already shipped file (e.g. once it was evaluated);
    ``step_lr`` replaces the corrector scale the model recommends for sampling; ``cell_atoms``
    records the (smallest, largest) training cell of a checkpoint made before 'dao train'
    recorded it (the app offers cells up to the largest)."""
    ckpt = load_checkpoint(training)
    overrides = {"step_lr": step_lr, "cell_atoms": list(cell_atoms) if cell_atoms else None}
    ckpt["metadata"] = {
        **(ckpt.get("metadata") or {}),
        **{k: v for k, v in overrides.items() if v is not None},
    }
    target = models_dir / name
    if not card_only:
        save_checkpoint(target, inference_payload(ckpt))
    metrics: dict[str, Any] = {}
    for path in results:
        metrics.update(metrics_from_record(path))
    if curve is not None:
        metrics.update(metrics_from_curve(curve, int(ckpt.get("step", 0))))
    card = write_card(target, metrics=metrics, notes=notes)
    if card_only:
        return target
    manifest_path = models_dir / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    manifest["models"][name] = {
        **manifest["models"].get(name, {}),  # a title given by hand stays
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "kind": ckpt["kind"],
        "card": card.name,
    }
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dao_engine.jobs.ship_model")
    parser.add_argument("training", type=Path)
    parser.add_argument("name")
    parser.add_argument("--result", type=Path, action="append", default=[])
    parser.add_argument("--notes-file", type=Path, default=None)
    parser.add_argument("--curve", type=Path, default=None)
    parser.add_argument("--card-only", action="store_true", help="rewrite the card only")
    parser.add_argument(
        "--step-lr", type=float, default=None, help="corrector scale the model recommends"
    )
    parser.add_argument(
        "--cell-atoms",
        type=int,
        nargs=2,
        metavar=("MIN", "MAX"),
        default=None,
        help="smallest and largest training cell (atoms), for a checkpoint that lacks them",
    )
    args = parser.parse_args(argv)
    notes = args.notes_file.read_text() if args.notes_file else ""
    target = ship(
        args.training,
        args.name,
        args.result,
        notes,
        args.curve,
        card_only=args.card_only,
        step_lr=args.step_lr,
        cell_atoms=tuple(args.cell_atoms) if args.cell_atoms else None,
    )
    print(f"wrote {target}, {target.with_suffix('.md').name} and its {MANIFEST_NAME} entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
