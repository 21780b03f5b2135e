"""Run predictions off the GUI thread, one at a time, from a queue; cancel cooperatively.

A job is the generator :func:`run_job`, run by a superqt ``GeneratorWorker`` (see
:mod:`dao_app.workers.background`) on the runner's one-thread pool. It yields tagged events,
``("progress", PredictProgress)`` per denoising step (from ``api.predict_iter``), and returns
the ``PredictionResult``.

A job with a :class:`~dao_app.state.jobs.RelaxRankPlan` goes on in the same generator:
library candidates (``api.library_sources``, before sampling; its warnings come as
``("warning", line)``), ``("sampled", PredictionResult)`` after sampling, then
``api.relax_and_rank_iter`` over samples + library (``("rank_progress", RelaxProgress)`` per
candidate); it returns a :class:`~dao_app.state.jobs.RankedJob`.

Cancel: ``JobRunner.cancel`` sets the job's ``threading.Event``, which the engine checks
between denoising steps (``CancelledError``) and, during relaxation, after every CHGNet force
evaluation (the relaxations end and what is done is still ranked: ``ranked.cancelled``, the
job's ``result``). A plain prediction is also ``quit()`` (superqt's abort: the generator
stops at its next yield, ``aborted``). ``quit()`` alone is not enough: it only acts at a
yield, and a whole candidate's relaxation lies between two; and it suppresses the returned
value, so the ranking of a stopped relaxation would be lost. So a job with a plan is stopped
by the event alone.

``JobRunner`` lives on the GUI thread. It owns the plain-Python :class:`JobList`, starts the
next queued job when one ends, and re-emits the worker's signals from its own ``@Slot``
methods (queued from the pool thread to the GUI thread), so widgets are only ever touched on
the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Generator

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal, Slot

from dao_app.state.jobs import (
    BACKEND_NAMES,
    JobList,
    JobOutput,
    JobStatus,
    RankedJob,
    RelaxRankPlan,
)
from dao_app.workers.background import GeneratorWorker, make_worker
from dao_engine import api

JobEvent = tuple[str, object]  # ("progress" | "sampled" | "rank_progress" | "warning", payload)


def run_job(
    request: api.PredictRequest, plan: RelaxRankPlan | None, stop: threading.Event
) -> Generator[JobEvent, None, api.PredictionResult | RankedJob]:
    """One prediction job (see the module docstring); runs in a worker thread."""
    if stop.is_set():
        raise api.CancelledError("cancelled before it started")
    if plan is None:
        return (yield from _sample(request, stop))
    library, warnings = api.library_sources(request.formula, plan.switches, plan.library_path)
    for line in warnings:
        yield ("warning", line)
    prediction = None
    if plan.switches.samples:
        prediction = yield from _sample(request, stop)
        yield ("sampled", prediction)
    elif stop.is_set():
        raise api.CancelledError("cancelled before relaxing")
    ranked = None
    candidates = api.gather(library, prediction)
    for event in api.relax_and_rank_iter(candidates, plan.settings, stop.is_set):
        if isinstance(event, api.RankedResult):
            ranked = event
        else:
            yield ("rank_progress", event)
    assert ranked is not None
    return RankedJob(prediction, ranked, tuple(warnings), plan)


def _sample(
    request: api.PredictRequest, stop: threading.Event
) -> Generator[JobEvent, None, api.PredictionResult]:
    result = None
    for item in api.predict_iter(request, stop.is_set):
        if isinstance(item, api.PredictionResult):
            result = item
        else:
            yield ("progress", item)
    assert result is not None
    return result


class JobRunner(QObject):
    """Queue of prediction jobs, run one after another on a worker thread."""

    job_started = Signal(int)
    job_progress = Signal(int, object)  # job id, api.PredictProgress
    job_sampled = Signal(int, object)  # job id, api.PredictionResult (relax-and-rank follows)
    job_rank_progress = Signal(int, object)  # job id, api.RelaxProgress
    job_warning = Signal(int, str)  # job id, one line
    job_finished = Signal(int, object)  # job id, api.PredictionResult or RankedJob
    job_failed = Signal(int, object)  # job id, exception
    job_cancelled = Signal(int)
    idle = Signal()  # no job running or queued

    def __init__(self, jobs: JobList | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs if jobs is not None else JobList()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._worker: GeneratorWorker | None = None
        self._stop: threading.Event | None = None
        self._current: int | None = None
        self._answered = False  # the running job's returned/errored/aborted has arrived
        # The last finished worker: its pool thread may still be leaving run().
        self._retired: GeneratorWorker | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def submit(self, request: api.PredictRequest, plan: RelaxRankPlan | None = None) -> int:
        """Queue a prediction (relaxed and ranked after sampling when ``plan`` is given);
        returns its job id. It starts when the previous one ends."""
        job = self.jobs.submit(request, plan)
        if not self.busy:
            self._start_next()
        return job.job_id

    def cancel(self, job_id: int) -> None:
        """Cancel a queued job at once, or ask a running one to stop at its next step (see
        the module docstring: the engine's stop event, and ``quit()`` for a plain prediction)."""
        job = self.jobs.get(job_id)
        if job is None or not job.status.active:
            return
        if job.status is JobStatus.QUEUED:
            self.jobs.update(job_id, status=JobStatus.CANCELLED, message="cancelled before start")
            self.job_cancelled.emit(job_id)
        elif self._worker is not None and self._current == job_id:
            self.jobs.update(job_id, message="stopping…")
            assert self._stop is not None
            self._stop.set()
            if job.plan is None:  # nothing is kept: abort at the next yield
                self._worker.quit()

    def cancel_all(self) -> None:
        for job in list(self.jobs.jobs):
            self.cancel(job.job_id)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel everything and wait for the worker; True when it ended in time.

        The worker's last signals (cancelled, finished) are delivered before returning, so
        job statuses are final and ``busy`` is False afterwards.
        """
        self.cancel_all()
        if self._worker is None:
            return True
        ended = bool(self._pool.waitForDone(timeout_ms))
        if ended:
            QCoreApplication.sendPostedEvents(self, 0)
            self._retired = None
        return ended

    def _start_next(self) -> None:
        job = self.jobs.next_queued()
        if job is None:
            self.idle.emit()
            return
        self._current = job.job_id
        self._answered = False
        self.jobs.update(job.job_id, status=JobStatus.RUNNING, message="loading model…")
        self._stop = threading.Event()
        worker = make_worker(run_job, job.request, job.plan, self._stop)
        assert isinstance(worker, GeneratorWorker)
        worker.yielded.connect(self._on_yielded)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.aborted.connect(self._on_aborted)
        worker.finished.connect(self._on_worker_finished)
        self._worker = worker
        self._pool.start(worker)
        self.job_started.emit(job.job_id)

    def _record_progress(
        self, step: int, total: int, elapsed_s: float, eta_s: float, **extra: object
    ) -> None:
        """Store a progress step on the current job, keeping a "stopping…" note."""
        assert self._current is not None
        job = self.jobs.get(self._current)
        note = job.message if job is not None and job.message == "stopping…" else ""
        self.jobs.update(
            self._current,
            step=step,
            total=total,
            elapsed_s=elapsed_s,
            eta_s=eta_s,
            message=note,
            **extra,
        )

    def _on_progress(self, progress: api.PredictProgress) -> None:
        self._record_progress(progress.step, progress.total, progress.elapsed_s, progress.eta_s)
        self.job_progress.emit(self._current, progress)

    def _on_sampled(self, result: api.PredictionResult) -> None:
        assert self._current is not None
        self._keep_output(self._current, result)
        job = self.jobs.get(self._current)
        stopping = job is not None and job.message == "stopping…"
        self.jobs.update(
            self._current,
            phase="relax",
            step=0,
            message="stopping…" if stopping else f"{len(result.candidates)} samples, relaxing…",
        )
        self.job_sampled.emit(self._current, result)

    def _on_rank_progress(self, progress: api.RelaxProgress) -> None:
        self._record_progress(
            progress.done, progress.total, progress.elapsed_s, progress.eta_s, phase="relax"
        )
        self.job_rank_progress.emit(self._current, progress)

    def _on_warning(self, line: str) -> None:
        assert self._current is not None
        job = self.jobs.get(self._current)
        if job is not None:
            job.warnings.append(line)
        self.job_warning.emit(self._current, line)

    def _keep_output(self, job_id: int, result: api.PredictionResult) -> None:
        self.jobs.outputs[job_id] = JobOutput(
            job_id,
            result.request.formula,
            result.energy_trajectories,
            result.frames,
            result.model_path,
            result.seconds,
            result.request.steps,
            getattr(result, "energy_label", None) or "",
        )

    def _on_result(self, result: api.PredictionResult | RankedJob) -> None:
        assert self._current is not None
        job_id = self._current
        if isinstance(result, RankedJob):
            self._on_ranked(job_id, result)
            return
        self._keep_output(job_id, result)
        self.jobs.update(
            job_id,
            status=JobStatus.FINISHED,
            num_candidates=len(result.candidates),
            message=f"{result.seconds:.1f} s",
            eta_s=0.0,
        )
        self.job_finished.emit(job_id, result)

    def _on_ranked(self, job_id: int, result: RankedJob) -> None:
        """A ranked job ends FINISHED, or CANCELLED when its relaxation was stopped; either
        way its candidates are delivered (``job_finished``)."""
        ranked = result.ranked
        relaxed = sum(c.relaxed for c in ranked.candidates)
        seconds = ranked.seconds + (result.prediction.seconds if result.prediction else 0.0)
        name = BACKEND_NAMES[ranked.settings.relax]
        note = (
            f"relaxation stopped: {relaxed} of {len(ranked.candidates)} relaxed, kept"
            if ranked.cancelled
            else f"{len(ranked.polymorphs)} polymorphs · {seconds:.1f} s"
            + ("" if ranked.settings.relax == "none" else f" · relax {name}")
        )
        self.jobs.update(
            job_id,
            status=JobStatus.CANCELLED if ranked.cancelled else JobStatus.FINISHED,
            num_candidates=len(ranked.candidates),
            message=note,
            eta_s=0.0,
        )
        self.job_finished.emit(job_id, result)

    def _on_failed(self, exc: BaseException) -> None:
        assert self._current is not None
        self.jobs.update(self._current, status=JobStatus.FAILED, message=str(exc).splitlines()[0])
        self.job_failed.emit(self._current, exc)

    def _on_cancelled(self) -> None:
        assert self._current is not None
        self.jobs.update(self._current, status=JobStatus.CANCELLED, message="cancelled")
        self.job_cancelled.emit(self._current)

    @Slot(object)
    def _on_yielded(self, event: JobEvent) -> None:
        kind, payload = event
        {
            "progress": self._on_progress,
            "sampled": self._on_sampled,
            "rank_progress": self._on_rank_progress,
            "warning": self._on_warning,
        }[kind](payload)

    @Slot(object)
    def _on_returned(self, result: api.PredictionResult | RankedJob) -> None:
        self._answered = True
        self._on_result(result)

    @Slot(object)
    def _on_errored(self, exc: BaseException) -> None:
        self._answered = True
        if isinstance(exc, api.CancelledError):
            self._on_cancelled()
        else:
            self._on_failed(exc)

    @Slot()
    def _on_aborted(self) -> None:
        self._answered = True
        self._on_cancelled()

    @Slot()
    def _on_worker_finished(self) -> None:
        """The worker's last signal: the job is over; start the next one."""
        if not self._answered:  # quit() after the last step: no value was returned
            self._on_cancelled()
        self._retired, self._worker, self._stop = self._worker, None, None
        self._current = None
        self._start_next()
