"""Short background computations (matching, pairwise matrices, model look-ups) on a thread pool.

``TaskRunner.start(key, fn, *args)`` runs ``fn(*args)`` on a pool thread. The result comes
back as ``finished(key, value)`` (or ``failed(key, exception)``) emitted on the GUI thread:
the pool thread emits to a private relay, whose queued connection lands in ``TaskRunner``'s
slots on the GUI thread. Callers tag keys so they can ignore answers that are out of date.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Relay(QObject):
    returned = Signal(int, object)
    errored = Signal(int, object)


class _Task(QRunnable):
    def __init__(self, number: int, fn: Callable[..., Any], args: tuple[Any, ...], relay: _Relay):
        super().__init__()
        self.number, self.fn, self.args, self.relay = number, fn, args, relay
        self.setAutoDelete(False)  # Python keeps the reference until the answer is delivered

    def run(self) -> None:
        try:
            value = self.fn(*self.args)
        except Exception as exc:  # noqa: BLE001 - reported to the GUI, never raised in a thread
            self.relay.errored.emit(self.number, exc)
        else:
            self.relay.returned.emit(self.number, value)


class TaskRunner(QObject):
    """Runs functions on a small private thread pool; see the module docstring."""

    finished = Signal(str, object)
    failed = Signal(str, object)

    def __init__(self, parent: QObject | None = None, threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._relay = _Relay(self)
        self._relay.returned.connect(self._on_returned)
        self._relay.errored.connect(self._on_errored)
        self._tasks: dict[int, tuple[str, _Task]] = {}
        self._counter = 0
        # Finished tasks are kept a little longer: the pool thread may still be unwinding run().
        self._retired: deque[_Task] = deque(maxlen=16)

    def start(self, key: str, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in the background; answer with ``finished``/``failed`` for ``key``."""
        self._counter += 1
        task = _Task(self._counter, fn, args, self._relay)
        self._tasks[self._counter] = (key, task)
        self.pool.start(task)

    @property
    def pending(self) -> int:
        """Number of tasks started whose answer has not been delivered yet."""
        return len(self._tasks)

    def wait(self, msecs: int = 10000) -> bool:
        """Block until the pool is idle (shutdown and tests); True when it is."""
        return bool(self.pool.waitForDone(msecs))

    @Slot(int, object)
    def _on_returned(self, number: int, value: object) -> None:
        self.finished.emit(self._retire(number), value)

    @Slot(int, object)
    def _on_errored(self, number: int, exc: object) -> None:
        self.failed.emit(self._retire(number), exc)

    def _retire(self, number: int) -> str:
        key, task = self._tasks.pop(number)
        self._retired.append(task)
        return key
