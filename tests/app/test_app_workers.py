"""Prediction jobs and tasks on superqt workers: progress in order, results, cancel within a
second (keeping a stopped relaxation's ranking), queue, errors, signals on the GUI thread,
shutdown.

Every wait is on a signal (qtbot.waitSignal / waitUntil), never a sleep; the fake engine
generators below sleep to stand in for denoising steps and force evaluations.
"""

from __future__ import annotations

import threading
import time
import warnings
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QCoreApplication, QThread

from dao_app.state.jobs import JobStatus, RelaxRankPlan
from dao_app.workers.predict import JobRunner
from dao_app.workers.tasks import TaskRunner
from dao_engine import api


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    yield r
    assert r.shutdown(10000), "the worker thread did not stop"


def _request(checkpoint: str, steps: int = 6, **kw) -> api.PredictRequest:
    return api.PredictRequest(
        "NaCl", z=2, shots=2, steps=steps, device="cpu", checkpoint=checkpoint, **kw
    )


def test_progress_then_result(qtbot, runner, tiny_checkpoint):
    steps = []
    runner.job_progress.connect(lambda job_id, p: steps.append(p.step))
    with qtbot.waitSignal(runner.job_finished, timeout=60000) as done:
        job_id = runner.submit(_request(tiny_checkpoint, keep_every=2))
    assert done.args[0] == job_id
    result = done.args[1]
    assert isinstance(result, api.PredictionResult) and len(result.candidates) == 2
    assert steps == list(range(1, 7))
    job = runner.jobs.get(job_id)
    assert job.status is JobStatus.FINISHED and job.step == 6 and job.num_candidates == 2
    assert [step for step, _ in runner.jobs.outputs[job_id].frames] == [2, 4, 6]
    if runner.busy:  # the thread's own end may still be on its way
        with qtbot.waitSignal(runner.idle, timeout=10000):
            pass
    assert not runner.busy


def test_cancel_stops_within_a_second(qtbot, runner, tiny_checkpoint):
    with qtbot.waitSignal(runner.job_progress, timeout=60000):
        job_id = runner.submit(_request(tiny_checkpoint, steps=1000))
    started = time.perf_counter()
    with qtbot.waitSignal(runner.job_cancelled, timeout=1000) as cancelled:
        runner.cancel(job_id)
    assert time.perf_counter() - started < 1.0
    assert cancelled.args == [job_id]
    job = runner.jobs.get(job_id)
    assert job.status is JobStatus.CANCELLED and job.step < 1000
    assert job_id not in runner.jobs.outputs


def test_queue_runs_jobs_in_order_and_cancels_queued(qtbot, runner, tiny_checkpoint):
    order = []
    runner.job_started.connect(order.append)
    first = runner.submit(_request(tiny_checkpoint))
    second = runner.submit(_request(tiny_checkpoint, seed=1))
    third = runner.submit(_request(tiny_checkpoint, seed=2))
    assert runner.jobs.get(second).status is JobStatus.QUEUED
    with qtbot.waitSignal(runner.job_cancelled, timeout=1000):
        runner.cancel(third)
    with qtbot.waitSignal(runner.idle, timeout=60000):  # emitted once the queue is empty
        pass
    assert order == [first, second]
    assert [j.status for j in runner.jobs.jobs] == [
        JobStatus.FINISHED,
        JobStatus.FINISHED,
        JobStatus.CANCELLED,
    ]


def test_engine_errors_become_failed_jobs(qtbot, runner, tmp_path, tiny_checkpoint):
    with qtbot.waitSignal(runner.job_failed, timeout=30000) as failed:
        runner.submit(_request(str(tmp_path / "missing.pt")))
    assert isinstance(failed.args[1], api.CheckpointError)
    assert runner.jobs.jobs[0].status is JobStatus.FAILED
    big = api.PredictRequest("Ca70O", shots=1, steps=2, device="cpu", checkpoint=tiny_checkpoint)
    with qtbot.waitSignal(runner.job_failed, timeout=30000) as failed:
        runner.submit(big)
    assert isinstance(failed.args[1], api.CompositionError) and "at most 64" in str(failed.args[1])


def test_shutdown_stops_a_running_job(qtbot, runner, tiny_checkpoint):
    with qtbot.waitSignal(runner.job_progress, timeout=60000):
        runner.submit(_request(tiny_checkpoint, steps=1000))
    started = time.perf_counter()
    assert runner.shutdown(5000)
    assert time.perf_counter() - started < 1.0


def test_task_runner_delivers_results_and_errors(qtbot):
    tasks = TaskRunner()
    with qtbot.waitSignal(tasks.finished, timeout=5000) as done:
        tasks.start("sum", sum, [1, 2, 3])
    assert done.args == ["sum", 6]
    with qtbot.waitSignal(tasks.failed, timeout=5000) as failed:
        tasks.start("bad", int, "x")
    assert failed.args[0] == "bad" and isinstance(failed.args[1], ValueError)
    assert tasks.pending == 0 and tasks.wait(1000)


# --- superqt workers: one pattern for every job (fake engine generators, no model) ---------


def _on_gui_thread() -> bool:
    return QThread.currentThread() is QCoreApplication.instance().thread()


def _fake_predict(total: int, step_s: float = 0.0, obey_stop: bool = True, threads=None):
    """A stand-in for api.predict_iter: ``total`` steps of ``step_s`` each; a step polls
    ``should_stop`` (like the engine between steps) unless ``obey_stop`` is False."""

    def predict_iter(request, should_stop):
        if threads is not None:
            threads.add(threading.get_ident())
        started = time.perf_counter()
        for step in range(1, total + 1):
            end = time.perf_counter() + step_s
            while time.perf_counter() < end:
                if obey_stop and should_stop():
                    raise api.CancelledError("stopped")
                time.sleep(0.002)
            yield api.PredictProgress(step, total, time.perf_counter() - started, 0.0)
        yield api.PredictionResult(request, [], time.perf_counter() - started, "fake.pt", [], [])

    return predict_iter


def _plan() -> RelaxRankPlan:
    return RelaxRankPlan(api.SourceSwitches(samples=False), api.RelaxRankSettings(relax="none"))


@pytest.fixture
def fake_relax(monkeypatch):
    """Relax-and-rank over 50 fake candidates; the first relaxes at once, each other takes
    2 s of "force evaluations" (10 ms each) that poll ``should_stop``, as CHGNet's do."""
    evaluations = []

    def relax_and_rank_iter(candidates, settings, should_stop):
        relaxed, cancelled, started = [], False, time.perf_counter()
        for i, _ in enumerate(candidates):
            done = False
            if not cancelled:
                for _ in range(0 if i == 0 else 200):
                    if should_stop():
                        break
                    evaluations.append(i)
                    time.sleep(0.01)
                else:
                    done = True
            cancelled = cancelled or should_stop()
            relaxed.append(SimpleNamespace(relaxed=done, polymorph=i + 1))
            yield api.RelaxProgress(i + 1, len(candidates), time.perf_counter() - started, 0, "x")
        yield api.RankedResult(relaxed, settings, time.perf_counter() - started, cancelled)

    monkeypatch.setattr(api, "library_sources", lambda *a: ([], ["no substitution data"]))
    monkeypatch.setattr(api, "gather", lambda library, prediction: list(range(50)))
    monkeypatch.setattr(api, "relax_and_rank_iter", relax_and_rank_iter)
    return evaluations


def test_progress_arrives_in_order_on_the_gui_thread(qtbot, runner, monkeypatch):
    worker_threads: set[int] = set()
    monkeypatch.setattr(api, "predict_iter", _fake_predict(40, threads=worker_threads))
    seen, threads = [], []
    runner.job_started.connect(lambda job_id: threads.append(_on_gui_thread()))
    runner.job_progress.connect(
        lambda job_id, p: (seen.append(p.step), threads.append(_on_gui_thread()))
    )
    runner.job_finished.connect(lambda job_id, r: threads.append(_on_gui_thread()))
    with qtbot.waitSignal(runner.idle, timeout=30000):
        runner.submit(_request("unused"))
    assert seen == list(range(1, 41))
    assert len(threads) == 42 and all(threads), "a runner signal was emitted off the GUI thread"
    assert worker_threads and threading.get_ident() not in worker_threads  # ran on a pool thread


def test_quit_aborts_a_generator_that_ignores_the_stop_event(qtbot, runner, monkeypatch):
    """A plain prediction is also quit(): superqt's abort ends it at its next yield."""
    monkeypatch.setattr(api, "predict_iter", _fake_predict(100000, 0.01, obey_stop=False))
    with qtbot.waitSignal(runner.job_progress, timeout=30000):
        job_id = runner.submit(_request("unused"))
    started = time.perf_counter()
    with qtbot.waitSignal(runner.job_cancelled, timeout=5000) as cancelled:
        runner.cancel(job_id)
    assert time.perf_counter() - started < 2.0
    assert cancelled.args == [job_id]
    job = runner.jobs.get(job_id)
    assert job.status is JobStatus.CANCELLED and job.step < 100000
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)  # finished follows aborted


def test_stop_event_ends_a_long_step(qtbot, runner, monkeypatch):
    """One step takes 100 s; the engine's stop check inside it ends it at once."""
    monkeypatch.setattr(api, "predict_iter", _fake_predict(3, 100.0))
    job_id = runner.submit(_request("unused"))
    qtbot.wait(100)
    started = time.perf_counter()
    with qtbot.waitSignal(runner.job_cancelled, timeout=5000):
        runner.cancel(job_id)
    assert time.perf_counter() - started < 2.0
    assert runner.jobs.get(job_id).status is JobStatus.CANCELLED


def test_cancel_stops_a_relaxation_within_a_force_evaluation_and_keeps_it(
    qtbot, runner, fake_relax
):
    warnings_seen, rank_steps, threads = [], [], []
    runner.job_warning.connect(lambda job_id, line: warnings_seen.append(line))
    runner.job_rank_progress.connect(lambda job_id, p: rank_steps.append(p.done))
    runner.job_finished.connect(lambda job_id, r: threads.append(_on_gui_thread()))
    with qtbot.waitSignal(runner.job_rank_progress, timeout=30000):
        job_id = runner.submit(_request("unused"), _plan())
    qtbot.waitUntil(lambda: len(fake_relax) >= 3, timeout=10000)  # inside candidate 2
    started = time.perf_counter()
    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        runner.cancel(job_id)
    assert time.perf_counter() - started < 2.0
    assert len(fake_relax) < 200, "candidate 2 ran all its force evaluations"
    ranked_job = finished.args[1]
    assert finished.args[0] == job_id and ranked_job.ranked.cancelled
    assert len(ranked_job.ranked.candidates) == 50  # all kept, the first one relaxed
    assert [c.relaxed for c in ranked_job.ranked.candidates[:2]] == [True, False]
    assert rank_steps == list(range(1, 51)) and warnings_seen == ["no substitution data"]
    job = runner.jobs.get(job_id)
    assert job.status is JobStatus.CANCELLED
    assert job.message == "relaxation stopped: 1 of 50 relaxed, kept"
    assert threads == [True]


def test_runtime_error_in_a_job_fails_it_and_the_queue_goes_on(qtbot, runner, monkeypatch):
    """A RuntimeError (torch's kind of failure) is a failed job, not a silent hang."""

    def broken(request, should_stop):
        yield api.PredictProgress(1, 2, 0.0, 0.0)
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(api, "predict_iter", broken)
    failed, threads = [], []
    runner.job_failed.connect(
        lambda job_id, exc: (failed.append(exc), threads.append(_on_gui_thread()))
    )
    with qtbot.waitSignal(runner.idle, timeout=30000):
        first = runner.submit(_request("unused"))
        second = runner.submit(_request("unused"))
    assert [type(e) for e in failed] == [RuntimeError, RuntimeError] and threads == [True, True]
    assert "CUDA out of memory" in str(failed[0])
    assert runner.jobs.get(first).status is JobStatus.FAILED
    assert runner.jobs.get(second).status is JobStatus.FAILED
    assert not runner.busy


def test_shutdown_waits_for_the_worker_and_delivers_its_last_signals(qtbot, monkeypatch):
    monkeypatch.setattr(api, "predict_iter", _fake_predict(100000, 0.01))
    runner = JobRunner()
    events = []
    runner.job_cancelled.connect(lambda job_id: events.append(("cancelled", job_id)))
    runner.idle.connect(lambda: events.append(("idle",)))
    with qtbot.waitSignal(runner.job_progress, timeout=30000):
        job_id = runner.submit(_request("unused"))
    queued = runner.submit(_request("unused"))
    assert runner.shutdown(5000)
    # everything arrived before shutdown returned: no event loop ran in between
    assert events == [("cancelled", queued), ("cancelled", job_id), ("idle",)]
    assert not runner.busy and runner._pool.activeThreadCount() == 0
    assert runner.jobs.get(job_id).status is JobStatus.CANCELLED


def test_task_runner_signals_arrive_on_the_gui_thread_with_the_right_keys(qtbot):
    tasks = TaskRunner(threads=2)
    answers, threads = {}, []

    def record(key, value):
        answers[key] = value
        threads.append(_on_gui_thread())

    tasks.finished.connect(record)
    tasks.failed.connect(record)
    for i in range(6):
        tasks.start(f"sq{i}", lambda n: (time.sleep(0.01), n * n)[1], i)
    tasks.start("boom", int, "x")
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=10000)
    assert {k: v for k, v in answers.items() if k != "boom"} == {f"sq{i}": i * i for i in range(6)}
    assert isinstance(answers["boom"], ValueError)
    assert len(threads) == 7 and all(threads)
    assert tasks.wait(1000)


def test_task_runner_runs_generators_and_reports_their_errors(qtbot):
    def counted(n):
        yield from range(n)
        return n

    def broken():
        yield
        raise RuntimeError("torch failed")

    tasks = TaskRunner()
    with qtbot.waitSignal(tasks.finished, timeout=5000) as done:
        tasks.start("count", counted, 3)
    assert done.args == ["count", 3]
    with qtbot.waitSignal(tasks.failed, timeout=5000) as failed:
        tasks.start("broken", broken)
    assert failed.args[0] == "broken" and isinstance(failed.args[1], RuntimeError)
    assert tasks.pending == 0


def test_task_runner_wait_blocks_until_the_work_is_done(qtbot):
    tasks = TaskRunner()
    ended = threading.Event()

    def slow():
        time.sleep(0.3)
        ended.set()
        return "done"

    tasks.start("slow", slow)
    assert tasks.pending == 1
    assert tasks.wait(5000) and ended.is_set() and tasks.pool.activeThreadCount() == 0
    with qtbot.waitSignal(tasks.finished, timeout=5000) as done:
        pass  # the answer is queued for the GUI thread
    assert done.args == ["slow", "done"] and tasks.pending == 0


def test_overlapping_workers_leave_the_warnings_module_alone(qtbot):
    """superqt's own WorkerBase.run wraps work in warnings.catch_warnings(), which is not
    thread-safe: two overlapping workers can leave showwarning/filters swapped for good."""
    show, filters = warnings.showwarning, list(warnings.filters)
    a_in, b_in = threading.Event(), threading.Event()

    def first():
        a_in.set()
        b_in.wait(5)

    def second():
        b_in.set()
        a_in.wait(5)
        time.sleep(0.2)

    one, two = TaskRunner(), TaskRunner()
    one.start("a", first)
    time.sleep(0.05)
    two.start("b", second)
    assert one.wait(5000) and two.wait(5000)
    qtbot.waitUntil(lambda: one.pending == two.pending == 0, timeout=5000)
    assert warnings.showwarning is show and warnings.filters == filters
