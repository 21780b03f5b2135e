"""Run predictions off the GUI thread, one at a time, from a queue; cancel cooperatively.

``PredictWorker`` wraps the engine generator ``api.predict_iter`` (superqt's generator-worker
idea): it runs in its own ``QThread`` and emits every ``PredictProgress`` and the final
``PredictionResult`` as signals. ``stop()`` sets a flag the engine checks between denoising
steps, so a running job ends within one step.

A job with a :class:`~dao_app.state.jobs.RelaxRankPlan` goes on in the same worker: library
candidates (``api.library_sources``, before sampling; its warnings come as ``warning``), then
``api.relax_and_rank_iter`` over samples + library (``rank_progress`` per candidate); the final
``result`` is a :class:`~dao_app.state.jobs.RankedJob`. ``stop()`` during relaxation ends it
within a CHGNet force evaluation and still delivers the ranking of what is done
(``ranked.cancelled``).

``JobRunner`` lives on the GUI thread. It owns the plain-Python :class:`JobList`, starts the
next queued job when one ends, and re-emits worker signals from its own slots, so widgets are
only ever touched on the GUI thread.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from dao_app.state.jobs import (
    BACKEND_NAMES,
    JobList,
    JobOutput,
    JobStatus,
    RankedJob,
    RelaxRankPlan,
)
from dao_engine import api


class PredictWorker(QObject):
    """Iterates ``api.predict_iter`` for one request; lives in a worker thread."""

    progress = Signal(object)  # api.PredictProgress
    sampled = Signal(object)  # api.PredictionResult of a job with a plan (ranking follows)
    rank_progress = Signal(object)  # api.RelaxProgress
    warning = Signal(str)  # one line (library missing, no substitution data, ...)
    result = Signal(object)  # api.PredictionResult, or RankedJob for a job with a plan
    failed = Signal(object)  # the exception
    cancelled = Signal()
    done = Signal()  # always emitted last

    def __init__(self, request: api.PredictRequest, plan: RelaxRankPlan | None = None) -> None:
        super().__init__()
        self.request = request
        self.plan = plan
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the job to stop at the next step (thread-safe)."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        try:
            if self._stop.is_set():
                raise api.CancelledError("cancelled before it started")
            if self.plan is None:
                self.result.emit(self._sample())
            else:
                self._sample_and_rank(self.plan)
        except api.CancelledError:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user, not crash
            self.failed.emit(exc)
        finally:
            self.done.emit()

    def _sample(self) -> api.PredictionResult:
        result = None
        for item in api.predict_iter(self.request, self._stop.is_set):
            if isinstance(item, api.PredictionResult):
                result = item
            else:
                self.progress.emit(item)
        assert result is not None
        return result

    def _sample_and_rank(self, plan: RelaxRankPlan) -> None:
        library, warnings = api.library_sources(
            self.request.formula, plan.switches, plan.library_path
        )
        for line in warnings:
            self.warning.emit(line)
        prediction = None
        if plan.switches.samples:
            prediction = self._sample()
            self.sampled.emit(prediction)
        elif self._stop.is_set():
            raise api.CancelledError("cancelled before relaxing")
        ranked = None
        candidates = api.gather(library, prediction)
        for event in api.relax_and_rank_iter(candidates, plan.settings, self._stop.is_set):
            if isinstance(event, api.RankedResult):
                ranked = event
            else:
                self.rank_progress.emit(event)
        assert ranked is not None
        self.result.emit(RankedJob(prediction, ranked, tuple(warnings), plan))


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
        self._thread: QThread | None = None
        self._worker: PredictWorker | None = None
        self._current: int | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def submit(self, request: api.PredictRequest, plan: RelaxRankPlan | None = None) -> int:
        """Queue a prediction (relaxed and ranked after sampling when ``plan`` is given);
        returns its job id. It starts when the previous one ends."""
        job = self.jobs.submit(request, plan)
        if not self.busy:
            self._start_next()
        return job.job_id

    def cancel(self, job_id: int) -> None:
        """Cancel a queued job at once, or ask a running one to stop at its next step."""
        job = self.jobs.get(job_id)
        if job is None or not job.status.active:
            return
        if job.status is JobStatus.QUEUED:
            self.jobs.update(job_id, status=JobStatus.CANCELLED, message="cancelled before start")
            self.job_cancelled.emit(job_id)
        elif self._worker is not None and self._current == job_id:
            self.jobs.update(job_id, message="stopping…")
            self._worker.stop()

    def cancel_all(self) -> None:
        for job in list(self.jobs.jobs):
            self.cancel(job.job_id)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel everything and wait for the worker thread; True when it ended in time.

        The worker's last signals (cancelled, finished) are delivered before returning, so
        job statuses are final and ``busy`` is False afterwards.
        """
        self.cancel_all()
        thread = self._thread
        if thread is None:
            return True
        ended = bool(thread.wait(timeout_ms))
        if ended:
            QCoreApplication.sendPostedEvents(self, 0)
        return ended

    def _start_next(self) -> None:
        job = self.jobs.next_queued()
        if job is None:
            self.idle.emit()
            return
        self._current = job.job_id
        self.jobs.update(job.job_id, status=JobStatus.RUNNING, message="loading model…")
        thread = QThread()
        worker = PredictWorker(job.request, job.plan)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress)
        worker.sampled.connect(self._on_sampled)
        worker.rank_progress.connect(self._on_rank_progress)
        worker.warning.connect(self._on_warning)
        worker.result.connect(self._on_result)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        # Direct: quit() is thread-safe, and a queued quit would dead-lock shutdown()'s wait().
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()
        self.job_started.emit(job.job_id)

    def _record_progress(self, step: int, total: int, elapsed_s: float, eta_s: float, **extra: object) -> None:
        """Store a progress step on the current job, keeping a "stopping…" note."""
        assert self._current is not None
        job = self.jobs.get(self._current)
        note = job.message if job is not None and job.message == "stopping…" else ""
        self.jobs.update(
            self._current, step=step, total=total, elapsed_s=elapsed_s, eta_s=eta_s, message=note,
            **extra,
        )

    @Slot(object)
    def _on_progress(self, progress: api.PredictProgress) -> None:
        self._record_progress(progress.step, progress.total, progress.elapsed_s, progress.eta_s)
        self.job_progress.emit(self._current, progress)

    @Slot(object)
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

    @Slot(object)
    def _on_rank_progress(self, progress: api.RelaxProgress) -> None:
        self._record_progress(
            progress.done, progress.total, progress.elapsed_s, progress.eta_s, phase="relax"
        )
        self.job_rank_progress.emit(self._current, progress)

    @Slot(str)
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

    @Slot(object)
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

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        assert self._current is not None
        self.jobs.update(self._current, status=JobStatus.FAILED, message=str(exc).splitlines()[0])
        self.job_failed.emit(self._current, exc)

    @Slot()
    def _on_cancelled(self) -> None:
        assert self._current is not None
        self.jobs.update(self._current, status=JobStatus.CANCELLED, message="cancelled")
        self.job_cancelled.emit(self._current)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        self._current = None
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self._start_next()
