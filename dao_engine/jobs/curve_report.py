"""Plot a learning curve (``dao train-long``'s JSON lines) and write a short markdown report.

    python -m dao_engine.jobs.curve_report [--curve FILE] [--out docs/reports/learning_curve_general]

Writes ``<out>.png`` (validation and training loss, and the 1-shot match rate on the validation
slice, against structures seen) and ``<out>.md`` (a table of the rows with a match, the flatness
test of issue 10: the match rate over the last 20 % of the steps).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dao_engine.io.atomic import atomic_open, write_text_atomic
from dao_engine.jobs.long_train import DEFAULT_CURVE
from dao_engine.training.curve import LearningCurve

DEFAULT_OUT = "docs/reports/learning_curve_general"


def match_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r.get("val_match_1shot") is not None]


def flat_over_last_fifth(rows: Sequence[dict[str, Any]], tolerance: float = 1.0) -> bool | None:
    """True when the match rate of the last row is within ``tolerance`` points of the best one
    in the last 20 % of the planned steps and the schedule has reached its last 20 % (None when
    fewer than two matched rows fall there)."""
    matched = match_rows(rows)
    if not matched:
        return None
    total = matched[-1]["total_steps"]
    tail = [r for r in matched if r["step"] >= 0.8 * total]
    if len(tail) < 2:
        return None
    rates = [r["val_match_1shot"] for r in tail]
    return max(rates) - rates[-1] <= tolerance and max(rates) - min(rates) <= 2 * tolerance


def plot(rows: Sequence[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seen = [r["structures_seen"] / 1e6 for r in rows]
    fig, (loss_ax, match_ax) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    loss_ax.plot(seen, [r["val_loss"] for r in rows], "o-", label="validation loss (EMA)")
    train = [(s, r["train_loss"]) for s, r in zip(seen, rows, strict=True) if r.get("train_loss")]
    if train:
        loss_ax.plot(*zip(*train, strict=True), ".--", label="training loss (mean since last row)")
    loss_ax.set_xlabel("structures seen (millions)")
    loss_ax.set_ylabel("CSP + energy loss")
    loss_ax.legend()
    loss_ax.grid(alpha=0.3)
    matched = match_rows(rows)
    match_ax.plot(
        [r["structures_seen"] / 1e6 for r in matched],
        [r["val_match_1shot"] for r in matched],
        "s-",
        color="tab:green",
    )
    match_ax.set_xlabel("structures seen (millions)")
    match_ax.set_ylabel("1-shot match rate (%)")
    n = matched[-1]["val_match_n"] if matched else 200
    match_ax.set_title(f"{n} MP-20 val crystals held out of the corpus", fontsize=10)
    match_ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as handle:  # a failed write keeps the old plot whole
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def markdown(rows: Sequence[dict[str, Any]], image: str) -> str:
    last = rows[-1]
    lines = [
        "# Learning curve of the general DAO-P (`dao train-long`)",
        "",
        f"![learning curve]({image})",
        "",
        f"- Steps: {last['step']:,} of {last['total_steps']:,} planned "
        f"({last['structures_seen']:,} structures seen).",
        f"- Training time: {last['cpu_minutes']:.1f} CPU minutes and "
        f"{last['gpu_minutes']:.1f} GPU minutes (time spent in training steps).",
        f"- Validation loss now {last['val_loss']:.4f}.",
        f"- Flat over the last 20 % of the schedule: {flat_over_last_fifth(rows)} "
        "(None = the schedule has not reached its last 20 % yet).",
        "",
        "| step | structures seen | CPU min | val loss | 1-shot match (%) | RMSE | valid (%) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in match_rows(rows):
        lines.append(
            f"| {r['step']:,} | {r['structures_seen']:,} | {r['cpu_minutes']:.1f} | "
            f"{r['val_loss']:.4f} | {r['val_match_1shot']:.1f} | {r.get('val_match_rmse')} | "
            f"{r.get('val_valid')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dao_engine.jobs.curve_report")
    parser.add_argument("--curve", default=DEFAULT_CURVE)
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument(
        "--sizes", default=None, help="a folder of curves (one per model size): write a size table"
    )
    args = parser.parse_args(argv)
    if args.sizes:
        curves = {p.stem: LearningCurve(p).rows() for p in sorted(Path(args.sizes).glob("*.jsonl"))}
        out = Path(args.out).with_suffix(".md")
        write_text_atomic(out, size_table(curves))
        print(f"wrote {out}")
        return 0
    rows = LearningCurve(args.curve).rows()
    if not rows:
        print(f"curve_report: no rows in {args.curve}", file=sys.stderr)
        return 2
    out = Path(args.out)
    plot(rows, out.with_suffix(".png"))
    write_text_atomic(out.with_suffix(".md"), markdown(rows, out.with_suffix(".png").name))
    print(f"wrote {out.with_suffix('.png')} and {out.with_suffix('.md')}")
    return 0


def value_at(rows: Sequence[dict[str, Any]], key: str, x_key: str, x: float) -> float | None:
    """``key`` linearly interpolated at ``x`` along ``x_key`` (None outside the rows' range)."""
    points = [(r[x_key], r[key]) for r in rows if r.get(x_key) is not None and r.get(key)]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 <= x <= x1 and x1 > x0:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return None


def size_table(
    curves: dict[str, Sequence[dict[str, Any]]], x_key: str = "process_cpu_minutes"
) -> str:
    """Markdown: validation loss of each model size at equal CPU minutes (the most every run
    reached, and half-way from the first measurement every run has), with the steps taken."""
    xs = {
        name: [r[x_key] for r in rows if r.get(x_key) is not None] for name, rows in curves.items()
    }
    reach = min(max(x) for x in xs.values())
    early = (max(min(x) for x in xs.values()) + reach) / 2
    lines = [
        f"| model | steps in {reach:.1f} CPU min | val loss at {early:.1f} min | "
        f"val loss at {reach:.1f} min |",
        "|---|---:|---:|---:|",
    ]
    for name, rows in curves.items():
        at_early = value_at(rows, "val_loss", x_key, early)
        at_reach = value_at(rows, "val_loss", x_key, reach)
        steps = value_at(rows, "step", x_key, reach)
        if None in (at_early, at_reach, steps):
            lines.append(f"| {name} | – | – | – |")
        else:
            lines.append(f"| {name} | {steps:,.0f} | {at_early:.4f} | {at_reach:.4f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
