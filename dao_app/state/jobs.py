"""The prediction job list (plain Python, no Qt) and what each finished job left behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from dao_app.state.events import Event
from dao_engine import api


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

    def submit(self, request: api.PredictRequest) -> JobRecord:
        job = JobRecord(self._next_id, request, total=request.steps)
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
