"""Short background computations (relaxations, T_c, XRD, matching, model look-ups) on a pool.

``TaskRunner.start(key, fn, *args)`` runs ``fn(*args)`` as a superqt worker (see
:mod:`dao_app.workers.background`: a ``FunctionWorker``, or a ``GeneratorWorker`` when ``fn``
is a generator function, whose yields are ignored and whose return value is the answer) on
the runner's own thread pool, ``threads`` at a time, in the order started. The answer comes
back as ``finished(key, value)`` or ``failed(key, exception)``, emitted by ``TaskRunner``'s
slots on the GUI thread (the worker's signals are queued to them). Callers tag keys so they
can ignore answers that are out of date; a task is stopped by the caller's own means (e.g. a
``threading.Event`` its function checks), there is no cancel here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from dao_app.workers.background import FunctionWorker, GeneratorWorker, make_worker

_TASK = "dao_task"  # dynamic property on a worker's signals object: its task number


class TaskRunner(QObject):
    """Runs functions on a small private thread pool; see the module docstring."""

    finished = Signal(str, object)
    failed = Signal(str, object)

    def __init__(self, parent: QObject | None = None, threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._tasks: dict[int, tuple[str, FunctionWorker | GeneratorWorker]] = {}
        self._counter = 0
        # Answered workers are kept a little longer: the pool thread may still be leaving run().
        self._retired: deque[FunctionWorker | GeneratorWorker] = deque(maxlen=16)

    def start(self, key: str, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in the background; answer with ``finished``/``failed`` for ``key``."""
        self._counter += 1
        worker = make_worker(fn, *args)
        worker.signals.setProperty(_TASK, self._counter)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_worker_finished)
        self._tasks[self._counter] = (key, worker)
        self.pool.start(worker)

    @property
    def pending(self) -> int:
        """Number of tasks started whose answer has not been delivered yet."""
        return len(self._tasks)

    def wait(self, msecs: int = 10000) -> bool:
        """Block until the pool is idle (shutdown and tests); True when it is."""
        return bool(self.pool.waitForDone(msecs))

    def _number(self) -> int:
        return int(self.sender().property(_TASK))

    @Slot(object)
    def _on_returned(self, value: object) -> None:
        key = self._retire(self._number())
        if key is not None:
            self.finished.emit(key, value)

    @Slot(object)
    def _on_errored(self, exc: object) -> None:
        key = self._retire(self._number())
        if key is not None:
            self.failed.emit(key, exc)

    @Slot()
    def _on_worker_finished(self) -> None:
        """Last signal of every worker; answers one that ended without an answer (aborted)."""
        key = self._retire(self._number())
        if key is not None:
            self.failed.emit(key, RuntimeError(f"task {key!r} ended without an answer"))

    def _retire(self, number: int) -> str | None:
        entry = self._tasks.pop(number, None)
        if entry is None:
            return None
        key, worker = entry
        self._retired.append(worker)
        return key
