"""The prediction job list (plain Python, no Qt) and what each finished job left behind.

A job may carry a :class:`RelaxRankPlan`: after sampling, the same job gathers known structures
and substitution templates from the shipped library, relaxes every candidate and ranks them
into polymorphs; its result is then a :class:`RankedJob` instead of a bare
``api.PredictionResult``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from dao_app.state.events import Event
from dao_engine import api

#: relax / rank backend -> the name shown to the user
BACKEND_NAMES = {"chgnet": "CHGNet", "dao": "DAO-P", "none": "none"}


@dataclass(frozen=True)
class RelaxRankPlan:
    """What a job does after sampling (see the module docstring).

    Attributes:
        switches: which sources feed the candidate list (DAO samples, known, templates).
        settings: relaxation backend, ranking energy, CHGNet steps, DAO-P checkpoint.
        library_path: the known-structure library (None = the shipped one).
    """

    switches: api.SourceSwitches
    settings: api.RelaxRankSettings
    library_path: str | None = None

    @property
    def summary(self) -> str:
        """E.g. ``samples + known + templates (≤ 5), relax CHGNet, rank CHGNet``."""
        s, w = self.settings, self.switches
        names = [
            n
            for n, on in (("samples", w.samples), ("known", w.known), ("templates", w.templates))
            if on
        ]
        library = f" (≤ {w.library_limit})" if w.uses_library else ""
        return (
            f"{' + '.join(names) or 'nothing'}{library}, relax {BACKEND_NAMES[s.relax]}, "
            f"rank {BACKEND_NAMES[s.rank]}"
        )


@dataclass(frozen=True)
class RankedJob:
    """The result of a job with a plan: the sampling (None when samples were off), the
    ranked candidates, and the library warnings (one line each)."""

    prediction: api.PredictionResult | None
    ranked: api.RankedResult
    warnings: tuple[str, ...] = ()
    plan: RelaxRankPlan | None = None


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass
class JobRecord:
    """One prediction request and its progress.

    Attributes:
        step/total: denoising steps done / planned; elapsed_s, eta_s in seconds.
        message: the error text of a failed job, or a short note.
        plan: relax-and-rank after sampling, or None (samples only).
        phase: "" while sampling, "relax" while relaxing/ranking (step/total are candidates).
        warnings: library warnings of this job (one line each).
    """

    job_id: int
    request: api.PredictRequest
    status: JobStatus = JobStatus.QUEUED
    step: int = 0
    total: int = 0
    elapsed_s: float = 0.0
    eta_s: float = 0.0
    message: str = ""
    num_candidates: int = 0
    plan: RelaxRankPlan | None = None
    phase: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        r = self.request
        return f"Job {self.job_id}: {r.formula}, {r.shots} shot{'s' if r.shots != 1 else ''}"

    @property
    def fraction(self) -> float:
        return self.step / self.total if self.total else 0.0


@dataclass
class JobOutput:
    """What a finished job keeps for the trajectory views.

    Attributes:
        energy_trajectories: per shot, the predicted energy at each step ([] when the model has
            no energy head).
        frames: [(step, [crystal per shot])] every k-th step, for the animation.
        model_path: the checkpoint that produced it; seconds: wall time.
    """

    job_id: int
    formula: str
    energy_trajectories: list[list[float]] = field(default_factory=list)
    frames: list[tuple[int, list[api.Crystal]]] = field(default_factory=list)
    model_path: str = ""
    seconds: float = 0.0
    total_steps: int = 0
    energy_label: str = ""

    @property
    def shots(self) -> int:
        if self.frames:
            return len(self.frames[0][1])
        return len(self.energy_trajectories)


class JobList:
    """Jobs in submission order. Events: ``added(row)``, ``changed(row)``."""

    def __init__(self) -> None:
        self.jobs: list[JobRecord] = []
        self.outputs: dict[int, JobOutput] = {}
        self._next_id = 1
        self.added, self.changed = Event(), Event()

    def __len__(self) -> int:
        return len(self.jobs)

    def submit(self, request: api.PredictRequest, plan: RelaxRankPlan | None = None) -> JobRecord:
        job = JobRecord(self._next_id, request, total=request.steps, plan=plan)
        self._next_id += 1
        self.jobs.append(job)
        self.added.emit(len(self.jobs) - 1)
        return job

    def get(self, job_id: int) -> JobRecord | None:
        return next((j for j in self.jobs if j.job_id == job_id), None)

    def next_queued(self) -> JobRecord | None:
        return next((j for j in self.jobs if j.status is JobStatus.QUEUED), None)

    def running(self) -> JobRecord | None:
        return next((j for j in self.jobs if j.status is JobStatus.RUNNING), None)

    def update(self, job_id: int, **values: object) -> None:
        """Set attributes of a job and announce the change."""
        job = self.get(job_id)
        if job is None:
            return
        for name, value in values.items():
            setattr(job, name, value)
        self.changed.emit(self.jobs.index(job))

    def reserve_ids(self, used: int) -> None:
        """Make sure new jobs get ids above ``used`` (after opening a session)."""
        self._next_id = max(self._next_id, used + 1)
