"""The one rule for CPU threads, applied by every entry point (CLI, app, training driver, tests).

Why: torch's intra-op pool is OpenMP. Between parallel regions OpenMP threads spin-wait
(``OMP_WAIT_POLICY`` ACTIVE-like behaviour of libgomp) so that the next region starts at once.
The networks here run thousands of small operators per second, so every operator ends in a
barrier. When another busy process holds one of the two cores, the second torch thread is
descheduled, the first one spins at the barrier until the scheduler brings the second back, and
each operator costs a scheduler time slice instead of microseconds: measured on this 2-core
machine with one busy process beside it, 2 threads ran 7–12× slower than 1 and burned 8× the CPU
time (see ``benchmarks/results/threads_cpu.json``).

The rule:
  - ``OMP_WAIT_POLICY=PASSIVE`` (threads sleep at barriers instead of spinning) is set before
    torch is first imported, unless the user set it;
  - one intra-op thread and one inter-op thread by default: the models and batches here are small,
    a second thread gains little on an idle machine and loses a lot on a loaded one, and the app
    runs one job at a time;
  - ``DAO_THREADS=N`` (or ``threads=N``) asks for N intra-op threads, capped at the cores this
    process may use.
"""

from __future__ import annotations

import os

#: environment variable that overrides the default of one intra-op thread
THREADS_ENV = "DAO_THREADS"
DEFAULT_THREADS = 1


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def requested_threads(threads: int | None = None) -> int:
    """Intra-op threads to use: ``threads``, else ``$DAO_THREADS``, else 1; capped at the cores.

    A malformed ``$DAO_THREADS`` is ignored (the default is used) rather than failing a run.
    """
    if threads is None:
        raw = os.environ.get(THREADS_ENV, "").strip()
        threads = int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_THREADS
    return max(1, min(int(threads), usable_cores()))


def prepare_environment() -> None:
    """Set the OpenMP variables that must be in place before torch (libgomp) is loaded."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(requested_threads()))


def configure_threads(threads: int | None = None) -> int:
    """Apply the rule (module docstring) to torch in this process; returns the intra-op count.

    Safe to call more than once; the inter-op pool can only be sized before its first use, so a
    late call leaves it as it is.
    """
    prepare_environment()
    import torch

    count = requested_threads(threads)
    torch.set_num_threads(count)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already used in this process: its size is fixed now
        pass
    return count
