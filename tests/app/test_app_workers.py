"""Prediction jobs in worker threads: progress, results, cancel within a second, queue, errors.

Every wait is on a signal (qtbot.waitSignal), never a sleep.
"""

from __future__ import annotations

import time

import pytest

from dao_app.state.jobs import JobStatus
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
