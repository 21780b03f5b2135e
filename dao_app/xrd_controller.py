"""Powder XRD patterns of the selected candidate and the reference, computed off the GUI thread.

``request(record, reference)`` answers at once from the cache, otherwise starts pymatgen's
``XRDCalculator`` (``api.powder_pattern``) on a :class:`~dao_app.workers.tasks.TaskRunner`
thread and returns; ``ready(candidate, reference)`` then lands on the GUI thread, each a
``(label, api.PowderPattern)`` (the reference's None without one). Only the answer to the
latest request is shown: one that arrives after another candidate (or reference) was chosen
is stale, and only fills the cache.

Patterns are cached per candidate uid together with the crystal they were computed from (a uid
of a replaced session that names another structure misses the cache), and for the reference
object in use.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from dao_app.state.candidates import CandidateRecord
from dao_app.state.session import Reference
from dao_app.widgets.xrd_plot import TWO_THETA_RANGE
from dao_app.workers.tasks import TaskRunner
from dao_engine import api

LEGEND_CHARS = 40  # longer reference file names are shortened in the legend
Labelled = tuple[str, api.PowderPattern]


def _compute(
    crystal: api.Crystal | None, reference: api.Crystal | None
) -> tuple[api.PowderPattern | None, api.PowderPattern | None]:
    """Pool thread: the patterns of whichever crystals are given (None stays None)."""
    return (
        None if crystal is None else api.powder_pattern(crystal, TWO_THETA_RANGE),
        None if reference is None else api.powder_pattern(reference, TWO_THETA_RANGE),
    )


def short_name(name: str, limit: int = LEGEND_CHARS) -> str:
    """``name`` if short enough, else its start and end around "…" (the extension stays)."""
    if len(name) <= limit:
        return name
    tail = max(8, limit // 3)
    return f"{name[: limit - tail - 1]}…{name[-tail:]}"


def reference_label(reference: Reference) -> str:
    """The reference's legend entry: its file name (shortened), else its formula."""
    return f"reference {short_name(Path(reference.path).name or reference.crystal.formula())}"


class XrdController(QObject):
    """See the module docstring. Signals: ``ready(object, object)``, ``failed(object)`` (the
    exception of the latest request), ``computing()`` when a request has to wait."""

    ready = Signal(object, object)
    failed = Signal(object)
    computing = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = TaskRunner(self)
        self.tasks.finished.connect(self._on_computed)
        self.tasks.failed.connect(self._on_failed)
        self._patterns: dict[int, tuple[api.Crystal, api.PowderPattern]] = {}
        self._reference: tuple[Reference, api.PowderPattern] | None = None
        self._latest = 0
        self._wanted: tuple[CandidateRecord, Reference | None] | None = None
        self._jobs: dict[str, tuple[CandidateRecord, Reference | None]] = {}

    @property
    def busy(self) -> bool:
        return self.tasks.pending > 0

    def cached_uids(self) -> set[int]:
        return set(self._patterns)

    def forget(self, alive: set[int]) -> None:
        """Drop the patterns of candidates that are no longer in the session."""
        self._patterns = {u: p for u, p in self._patterns.items() if u in alive}

    def request(self, record: CandidateRecord | None, reference: Reference | None) -> bool:
        """Show ``record`` over ``reference``; True when answered at once (cached or empty)."""
        self._latest += 1
        self._wanted = None if record is None else (record, reference)
        if record is None:
            self.ready.emit(None, None)
            return True
        if self._answer(record, reference):
            return True
        key = str(self._latest)
        self._jobs[key] = (record, reference)
        missing_ref = reference if self._cached_reference(reference) is None else None
        self.tasks.start(
            key,
            _compute,
            None if self._cached(record) is not None else record.crystal,
            None if missing_ref is None else missing_ref.crystal,
        )
        self.computing.emit()
        return False

    def _cached(self, record: CandidateRecord) -> api.PowderPattern | None:
        hit = self._patterns.get(record.uid)
        return hit[1] if hit is not None and hit[0] is record.crystal else None

    def _cached_reference(self, reference: Reference | None) -> api.PowderPattern | None:
        hit = self._reference
        return hit[1] if hit is not None and hit[0] is reference else None

    def _answer(self, record: CandidateRecord, reference: Reference | None) -> bool:
        """Emit ``ready`` from the cache when everything is there."""
        pattern = self._cached(record)
        ref_pattern = self._cached_reference(reference)
        if pattern is None or (reference is not None and ref_pattern is None):
            return False
        self.ready.emit(
            (f"#{record.uid} {record.formula}", pattern),
            None if reference is None else (reference_label(reference), ref_pattern),
        )
        return True

    @Slot(str, object)
    def _on_computed(self, key: str, value: object) -> None:
        record, reference = self._jobs.pop(key)
        pattern, ref_pattern = value  # type: ignore[misc]
        if pattern is not None:  # valid for this crystal whatever is selected now
            self._patterns[record.uid] = (record.crystal, pattern)
        if ref_pattern is not None and (self._wanted is None or self._wanted[1] is reference):
            self._reference = (reference, ref_pattern)
        if key == str(self._latest) and self._wanted is not None:
            self._answer(*self._wanted)

    @Slot(str, object)
    def _on_failed(self, key: str, exc: object) -> None:
        self._jobs.pop(key, None)
        if key == str(self._latest):
            self.failed.emit(exc)

    def shutdown(self) -> None:
        self.tasks.wait(60000)
