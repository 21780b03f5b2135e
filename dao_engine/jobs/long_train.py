"""Training that runs for hours and resumes anywhere: ``dao train-long`` (issue 10).

    dao train-long --checkpoint resources/training/dao-p-general-long.pt --minutes 140

Trains (or resumes) the general DAO-P on the de-duplicated ``general`` corpus to a wall-clock
budget. The checkpoint is the GPU job's format (a CPU run continues a GPU one and vice versa),
written atomically (temporary file, fsync, rename) every few minutes and at the end. SIGTERM or
a first Ctrl-C stops at the next step boundary and saves; resuming keeps the learning-rate
schedule (a planned total step count fixed when the run started), the data order, the noise
generator and the EMA. Every ``--eval-minutes`` a row with the validation loss is appended to the
learning curve, and every ``--match-minutes`` the 1-shot match rate on the fixed 200-crystal
validation slice (MP-20 val, held out of the corpus; never the test split).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from dao_engine.threads import configure_threads

DEFAULT_CHECKPOINT = "resources/training/dao-p-general-long.pt"
DEFAULT_CURVE = "benchmarks/results/learning_curve_general.jsonl"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dao train-long", description=__doc__.splitlines()[0])
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, help="resumable checkpoint")
    p.add_argument("--curve", default=DEFAULT_CURVE, help="learning-curve JSON lines file")
    p.add_argument("--corpus", default="general", help="corpus name (dao_engine.jobs.corpus)")
    p.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget of this run")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: the rule)")
    new = p.add_argument_group("a new run (ignored when resuming: the checkpoint's settings hold)")
    new.add_argument("--layers", type=int, default=4)
    new.add_argument("--width", type=int, default=128)
    new.add_argument("--heads", type=int, default=4)
    new.add_argument("--total-steps", type=int, default=80_000, help="planned schedule length")
    new.add_argument("--batch-size", type=int, default=64)
    new.add_argument("--lr", type=float, default=1e-3)
    new.add_argument("--warmup", type=int, default=500)
    new.add_argument("--energy-weight", type=float, default=1.0)
    new.add_argument("--seed", type=int, default=0)
    cyc = p.add_argument_group("a new schedule cycle once the resumed one has finished")
    cyc.add_argument(
        "--new-cycle",
        type=int,
        default=None,
        metavar="STEPS",
        help="when the checkpoint's schedule is done, warm up again to --cycle-lr and decay by "
        "cosine over STEPS more steps (weights, optimiser moments, EMA and data order continue)",
    )
    cyc.add_argument("--cycle-lr", type=float, default=3e-4, help="peak rate of the new cycle")
    ev = p.add_argument_group("measurements")
    ev.add_argument("--eval-minutes", type=float, default=10.0, help="validation loss every …")
    ev.add_argument("--match-minutes", type=float, default=45.0, help="1-shot match every …")
    ev.add_argument("--match-steps", type=int, default=1000, help="sampler steps for the match")
    ev.add_argument("--no-final-match", action="store_true", help="skip the match at the end")


class StopFlag:
    """Set by SIGTERM/SIGINT; training checks it between steps. A second Ctrl-C interrupts."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._pid = os.getpid()

    def install(self) -> None:
        self._pid = os.getpid()
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        if os.getpid() != self._pid:  # a forked worker (corpus building) told to stop: stop
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self.reason is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.reason = signal.Signals(signum).name
        print(f"train-long: {self.reason} received; saving at the next step", flush=True)

    def __call__(self) -> bool:
        return self.reason is not None


def run_long_training(args: argparse.Namespace, stop: StopFlag | None = None) -> dict[str, Any]:
    """The driver (module docstring); returns a summary of this run."""
    from dao_engine.jobs.long_train_parts import LongRun

    stop = stop or StopFlag()
    run = LongRun(args, stop)
    run.start()  # the budget counts from here: corpus and trainer set-up are not training
    deadline = time.monotonic() + 60.0 * args.minutes
    while not run.finished() and not stop() and time.monotonic() < deadline:
        chunk_end = min(deadline, time.monotonic() + 60.0 * args.eval_minutes)
        run.train_until(chunk_end)
        if not stop():
            run.measure(match=run.match_due())
    final_match = not stop() and not args.no_final_match and not run.last_row_has_match()
    if run.trained_steps() > 0 and (run.unmeasured_steps() or final_match):
        run.measure(match=final_match)  # a last row; the slow match only when not asked to stop
    return run.summary(stopped_by=stop.reason or ("done" if run.finished() else "budget"))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_cli(args)


def run_cli(args: argparse.Namespace) -> int:
    from dao_engine.errors import DaoError

    configure_threads(args.threads)
    stop = StopFlag()
    stop.install()
    try:
        summary = run_long_training(args, stop)
    except DaoError as exc:
        print(f"dao train-long: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dao train-long: interrupted (the last saved checkpoint is kept)", file=sys.stderr)
        return 130
    print(
        f"train-long: step {summary['end_step']}/{summary['total_steps']}, "
        f"{summary['steps']} steps this run, stopped by {summary['stopped_by']}; "
        f"checkpoint {summary['checkpoint']}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
