"""What one relaxation of a candidate carries: its ticket on the GUI thread, the step counter
shared with a CHGNet relaxation's pool thread, and the pool-thread function itself.

See :mod:`dao_app.controllers.relax`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from dao_app.qt_models.jobs import format_seconds
from dao_app.state.candidates import CandidateRecord
from dao_engine import api

#: backend -> name shown to the user
BACKEND_NAMES = {"dao": "DAO-P", "chgnet": "CHGNet"}
RELAX_STEPS = 3


@dataclass(frozen=True)
class RelaxTicket:
    """What a running relaxation belongs to (kept on the GUI thread while it runs)."""

    generation: int
    backend: str
    source_uid: int
    source_text: str
    model: str


@dataclass
class RelaxControl:
    """Shared with one CHGNet relaxation's pool thread: ``poll`` (its ``should_stop``, called
    once per FIRE step) counts the steps; ``stop`` asks it to end."""

    max_steps: int
    steps: int = 0
    started: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def poll(self) -> bool:
        """One FIRE step done; True when the relaxation should stop."""
        self.steps += 1
        return self.stop.is_set()

    def text(self) -> str:
        """``step 37 / 200, 12 s elapsed, at most 53 s left``."""
        if self.started is None:
            return "loading CHGNet…" if self.steps == 0 else ""
        elapsed = time.monotonic() - self.started
        text = f"step {self.steps} / {self.max_steps}, {format_seconds(elapsed)} elapsed"
        if self.steps:
            left = elapsed / self.steps * (self.max_steps - self.steps)
            text += f", at most {format_seconds(left)} left"
        return text


@dataclass(frozen=True)
class ChgnetRun:
    """What a CHGNet relaxation task returns: the result (None when cancelled before it
    started), whether it was cancelled, and the FIRE steps it took."""

    relaxed: api.Relaxed | None
    cancelled: bool
    steps: int


def chgnet_relax(crystal: api.Crystal, steps: int, control: RelaxControl) -> ChgnetRun:
    """Pool thread: a cancellable CHGNet relaxation (``api.relax_with_chgnet``)."""
    if control.stop.is_set():
        return ChgnetRun(None, True, 0)
    control.started = time.monotonic()
    out = api.relax_with_chgnet(crystal, steps=steps, should_stop=control.poll)
    label = "CHGNet energy per atom (eV/atom)"
    relaxed = api.Relaxed(out.crystal, out.energies, label, out.invalid, out.energies[-1])
    return ChgnetRun(relaxed, control.stop.is_set(), control.steps)


def relaxed_source(record: CandidateRecord, backend: str) -> str:
    """The Source text of a relaxed copy, e.g. ``Job 1 · shot 3 relaxed (DAO-P)``."""
    base = record.source if record.shot is None else f"{record.source} · shot {record.shot}"
    return f"{base} relaxed ({BACKEND_NAMES[backend]})"
