"""The one way the app runs work off the GUI thread: superqt's thread workers.

Every background job is a plain function or a generator handed to
:func:`superqt.utils.create_worker` by :func:`make_worker`. Long jobs (predict, relax-and-rank)
are generators: each ``yield`` is a progress event (``yielded``), the ``return`` value is the
answer (``returned``), and ``quit()`` aborts at the next yield (``aborted``). Short jobs (a
relaxation, T_c, XRD, matching, a model look-up) are functions (``returned``/``errored``).
The worker is never started with ``worker.start()`` (superqt's global pool, started a
millisecond later from a timer while an event loop runs); its owner starts it on its own
``QThreadPool`` at once, so that owner's ``waitForDone`` covers it.

Threads: the worker's signals live on a QObject made in the creating (GUI) thread and are
emitted from a pool thread. The runners connect them only to ``@Slot`` methods of their own
GUI-thread QObject (AutoConnection across threads, hence queued: the slot runs on the GUI
thread) and re-emit from there. Where a plain function or lambda connected to a worker signal
runs depends on the PySide6 version (6.12 queues it to the sender's thread; older ones have
called it in the emitting thread), so none is connected to a worker signal.

Two departures from superqt's ``WorkerBase.run``, both in :class:`_PlainRun`:

* it does not wrap the work in ``warnings.catch_warnings()``. That context manager swaps
  process-wide state (``warnings.showwarning`` and the filter list) and is not thread-safe:
  with two workers overlapping (a prediction beside a match or an XRD pattern) the last to
  leave restores the other's state, and every later warning in the process goes, filtered
  ``"always"``, to a finished worker's ``warned`` signal that nobody hears. Warnings from
  jobs go through Python's normal ``warnings`` handling instead, as they did before.
* a ``RuntimeError`` raised by a generator is an error like any other (``errored``).
  superqt's ``GeneratorWorker`` takes it for "the worker was deleted" and returns without
  emitting ``errored`` or ``finished``; torch reports its failures as ``RuntimeError``, so a
  job would never end.

``finished`` is always the last signal, whatever happens in the work.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from superqt.utils import FunctionWorker, GeneratorWorker, create_worker

__all__ = ["FunctionWorker", "GeneratorWorker", "make_worker"]


class _PlainRun:
    """``WorkerBase.run`` without the process-wide warnings capture (see the module)."""

    def run(self) -> None:
        worker: Any = self
        worker.started.emit()
        worker._running = True
        try:
            result = worker.work()
            if isinstance(worker, GeneratorWorker) and isinstance(result, Exception):
                raise result  # GeneratorWorker.work hands back a RuntimeError from the generator
            if not worker.abort_requested:
                worker.returned.emit(result)
        except Exception as exc:  # noqa: BLE001 - reported as `errored`, never raised in a thread
            worker.errored.emit(exc)
        finally:
            worker._running = False
            worker.finished.emit()
            if hasattr(type(worker.signals), "_finished"):  # superqt's own bookkeeping signal
                worker._finished.emit(worker)


class _Function(_PlainRun, FunctionWorker):
    pass


class _Generator(_PlainRun, GeneratorWorker):
    pass


def make_worker(fn: Callable[..., Any], *args: Any) -> FunctionWorker | GeneratorWorker:
    """A superqt worker (not started) running ``fn(*args)``: a :class:`GeneratorWorker` for
    a generator function, else a :class:`FunctionWorker`.

    Errors are left to the owner's ``errored`` slot (not re-raised in the GUI thread), and
    the worker does not delete itself: the owner keeps a reference until ``finished`` has
    been delivered and the pool thread has left ``run`` (start it with ``pool.start``).
    """
    kind = _Generator if inspect.isgeneratorfunction(fn) else _Function
    worker = create_worker(fn, *args, _worker_class=kind, _start_thread=False, _ignore_errors=True)
    worker.setAutoDelete(False)
    return worker
