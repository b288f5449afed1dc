"""Result pacing and queue depth: longer results when merging takes more than its share, deeper queues for short
tasks, and workers that follow the pace each task carries."""

from __future__ import annotations

import json

import numpy as np
import pytest

from holdem.mccfr import MCCFRConfig
from holdem.training import TrainConfig, create
from holdem.training.job import MAX_CREDITS, BlueprintJob, worker_spec
from holdem.training.pacing import MAX_RESULT_SECONDS, WINDOW_S, Average, ResultPacer
from holdem.training.worker import BatchHandler
from orchestrator.events import EventLog


def busy_for(pacer: ResultPacer, share: float, windows: int, start: tuple[float, float, float] = (0.0, 0.0, 0.0),
             waiting: float = 0.0) -> tuple[float, float, float]:
    """Feed ``windows`` full windows in which the merge thread was busy ``share`` of the time and each worker
    waited ``waiting`` of it."""
    now, cpu, waited = start
    if pacer._window_start is None:
        pacer.observe(now, cpu, waited)
    for _ in range(windows):
        now += WINDOW_S
        cpu += share * WINDOW_S
        waited += waiting * WINDOW_S * pacer.workers
        pacer.observe(now, cpu, waited)
    return now, cpu, waited


def test_results_lengthen_while_merging_is_over_budget_and_shorten_once_well_under():
    pacer = ResultPacer(0.1, workers=2)
    assert pacer.budget == pytest.approx(0.04), "2% of a core per worker"
    assert not pacer.observe(0.0, 0.0) and not pacer.observe(WINDOW_S / 2, 0.5), "no decision inside a window"
    clock = busy_for(pacer, 0.24, 1)
    assert pacer.seconds == pytest.approx(0.2), "at most twice as long per window"
    clock = busy_for(pacer, 0.06, 1, clock)
    assert pacer.seconds == pytest.approx(0.3), "in proportion to the excess"
    clock = busy_for(pacer, 0.03, 3, clock)
    assert pacer.seconds == pytest.approx(0.3), "within budget and above half of it: steady"
    clock = busy_for(pacer, 0.01, 1, clock)
    assert pacer.seconds == pytest.approx(0.15)
    busy_for(pacer, 0.0, 5, clock)
    assert pacer.seconds == pytest.approx(0.1), "never shorter than batch_target_seconds"
    busy_for(pacer, 5.0, 20)
    assert pacer.seconds == pytest.approx(MAX_RESULT_SECONDS), "never longer than the ceiling"


def test_results_lengthen_while_workers_wait_even_with_merging_under_budget():
    """Workers starved of tasks or result slots: the supervisor is the limit even when its merge thread is not
    (its event loop, or the cores it shares with the workers), so results lengthen by the share it served."""
    pacer = ResultPacer(0.1, workers=256)
    clock = busy_for(pacer, 0.3, 1, waiting=0.5)
    assert pacer.seconds == pytest.approx(0.2), "half the demand served: twice as long"
    clock = busy_for(pacer, 0.3, 1, clock, waiting=1.0)
    assert pacer.seconds == pytest.approx(0.4), "no more than twice per window, even when nothing was served"
    clock = busy_for(pacer, 0.05, 1, clock, waiting=0.2)
    assert pacer.seconds == pytest.approx(0.5), "never shorter while they wait, however idle the merge thread"
    clock = busy_for(pacer, 0.05, 3, clock, waiting=0.02)
    assert pacer.seconds == pytest.approx(0.5), "waits within the allowance but not near zero: the pace holds"
    busy_for(pacer, 0.05, 1, clock, waiting=0.002)
    assert pacer.seconds == pytest.approx(0.25), "workers (nearly) never waiting: shorter again"


def test_many_workers_share_one_merge_thread_at_most_half_busy():
    assert ResultPacer(0.1, workers=256).budget == pytest.approx(0.5)
    assert ResultPacer(0.1, workers=256, merge_threads=4).budget == pytest.approx(2.0)
    assert ResultPacer(0.1, workers=8).budget == pytest.approx(0.16)


def test_average_starts_at_its_first_sample_and_follows_slowly():
    mean = Average(0.5)
    mean.add(4.0)
    assert mean.value == 4.0
    mean.add(2.0)
    assert mean.value == 3.0


@pytest.fixture
def leduc_run(tmp_path):
    config = TrainConfig(game="leduc", num_workers=2, regret_sharing="shared", mccfr=MCCFRConfig(seed=1))
    run = create(config, tmp_path, shared=True)
    yield run
    run.close()


def test_short_tasks_get_more_credits_and_long_ones_the_configured_number(leduc_run):
    job = BlueprintJob(leduc_run, EventLog(None), None)
    assert job.credits_for(0.1) == leduc_run.config.credits == 2
    assert job.credits_for(0.005) == 20, "batch_target_seconds (0.1 s) of work queued"
    assert job.credits_for(1e-7) == MAX_CREDITS


def test_auto_batches_grow_with_the_pace_to_a_whole_result(leduc_run):
    job = BlueprintJob(leduc_run, EventLog(None), None)
    assert job.task_seconds() == pytest.approx(0.1)
    job.pacer.seconds = 2.0
    assert job.task_seconds() == pytest.approx(2.0)


def test_auto_batches_size_from_a_long_result_of_tiny_tasks_in_one_step_but_not_from_one_tiny_task(leduc_run):
    job = BlueprintJob(leduc_run, EventLog(None), None)
    first = job.batch_size
    job._size_tasks(first, 1e-6)
    assert job.batch_size == 8 * first, "one tiny task's timing is noise: at most 8x"
    job.pacer.seconds = 4.0
    job._size_tasks(400_000, 4.0)
    assert job.batch_size == 400_000, "4 s of work measured over 400,000 iterations: a 4 s task at once"


def test_a_shared_run_sends_the_pace_with_every_task_and_a_worker_holds_that_long(leduc_run):
    job = BlueprintJob(leduc_run, EventLog(None), None)
    assert job.pacer is not None
    job.pacer.seconds = 123.0
    job.clock.start()
    first = job.next_task(0)
    assert first is not None and first["result_seconds"] == 123.0

    worker_spec(leduc_run)
    spec = json.loads(leduc_run.paths.worker_spec.read_text())
    handler = BatchHandler(spec)
    assert handler.result_seconds == pytest.approx(0.1)
    tasks = [leduc_run.plan_batch(50) for _ in range(3)]
    for task in tasks:
        task["result_seconds"] = 1e9
    handler.run(tasks[0])
    assert not handler.flush_due(tasks[1]), "the task's pace (not the spec's 0.1 s) decides"
    tasks[1]["result_seconds"] = 0.0
    handler.run(tasks[1])
    assert handler.flush_due(tasks[2]), "a pace of zero sends at once"
    payload = handler.flush(lambda dtype, shape: np.empty(shape, dtype=dtype))
    assert payload["iterations"] == 100


def test_independent_learners_are_not_paced(tmp_path):
    config = TrainConfig(game="leduc", num_workers=2, regret_sharing="independent", mccfr=MCCFRConfig(seed=1))
    run = create(config, tmp_path, shared=True)
    try:
        job = BlueprintJob(run, EventLog(None), None)
        assert job.pacer is None
        job.clock.start()
        task = job.next_task(0)
        assert task is not None and "result_seconds" not in task
    finally:
        run.close()


def test_a_small_fixed_batch_size_goes_out_several_batches_to_a_task_said_once(tmp_path):
    config = TrainConfig(game="leduc", num_workers=2, batch_size=100, regret_sharing="shared",
                         mccfr=MCCFRConfig(seed=1))
    run = create(config, tmp_path, shared=True)
    try:
        events = EventLog(None)
        said: list[int] = []
        events.subscribe(lambda e: said.append(e["batches_per_task"]) if e["event"] == "batches_grouped" else None)
        job = BlueprintJob(run, events, None)
        job.clock.start()
        plain = job.next_task(0)
        assert plain is not None and plain["iterations"] == 100 and plain["batches"] == 1
        job._size_tasks(1_000, 0.001)
        assert job.group == 1_000, "as long as an auto task (batch_target_seconds) at 1 microsecond an iteration"
        grouped = job.next_task(1)
        assert grouped is not None and grouped["iterations"] == 100_000 and grouped["batches"] == 1_000
        assert len(job.notices) == 1 and "--batch-size 100" in job.notices[0]
        job._size_tasks(1_000, 0.0009)
        assert job.group == 1_112, "tasks follow the last result's speed, as auto-sized ones do"
        assert said == [1_000], "a small change is not said"
        job._size_tasks(1_000, 0.0005)
        assert job.group == 2_000, "twice as fast: twice the batches a task"
        assert len(said) >= 2 and said[-1] > 1.25 * 1_000, "a change over a quarter is said"
        assert len(job.notices) == 1, "regrouping is not announced again"
        assert job.pacer is not None
        settled = job.group
        job.pacer.seconds = 8 * config.batch_target_seconds
        job._size_tasks(1_000, 0.0005)
        assert job.group >= 1.75 * settled, "paced results make tasks longer, as auto-sized ones"
        run.record([plain, grouped], {"nodes": 0})
        assert run.batches_applied == 1_001, "batches are counted in the user's batch size"
    finally:
        run.close()


def test_the_progress_line_prints_a_notice_once_on_its_own_line():
    import io

    from holdem.cli.train_blueprint import ProgressLine

    stream = io.StringIO()
    line = ProgressLine(stream)
    fields = {"iterations": 1000, "it_per_s": 10.0, "workers": []}
    line({**fields, "notices": ["tasks carry 10 batches"]})
    line(fields)
    lines = stream.getvalue().splitlines()
    assert lines == ["note: tasks carry 10 batches", "it 1,000 | 10 it/s", "it 1,000 | 10 it/s"]


def test_tasks_near_the_end_of_the_time_budget_hold_only_the_time_left(tmp_path):
    config = TrainConfig(game="leduc", num_workers=2, regret_sharing="shared", time_budget_seconds=100.0,
                         mccfr=MCCFRConfig(seed=1))
    run = create(config, tmp_path, shared=True)
    try:
        job = BlueprintJob(run, EventLog(None), None)
        job.batch_size = 1_000_000
        job._iteration_seconds.add(1e-5)
        job.clock.start()
        assert job.next_task(0)["iterations"] == 1_000_000, "10 s of work, 100 s left"
        job.clock.started -= 98.0
        task = job.next_task(1)
        assert 190_000 <= task["iterations"] <= 200_000, "2 s left at 100,000 iterations a second"
    finally:
        run.close()
