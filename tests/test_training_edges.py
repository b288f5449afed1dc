"""Exactly-once at the edges: merge order, discount barriers, resume of non-contiguous work, stops mid-discount,
bad results, configs that weight twice, and a pruned action coming back above the regret floor."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

import numpy as np
import pytest

from holdem.abstraction.buckets import lossless_for
from holdem.abstraction.tree import build_tree
from holdem.games import load_game
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.config import ConfigError, MCCFRConfig
from holdem.mccfr.tables import discount, discount_chunks
from holdem.training import TrainConfig, create, resume
from holdem.training.housekeeping import Housekeeping, TrainingClock
from holdem.training.job import BlueprintJob
from holdem.training.merger import Merger, Unit
from holdem.training.state import BlueprintRun
from holdem.training.worker import BatchHandler
from orchestrator.events import EventLog
from orchestrator.job import WorkerInfo

BATCH = 500


class FakeDelivery:
    """What the merger and the job see of a delivery, settled in memory."""

    def __init__(self, batch_ids: list[int], payload: dict) -> None:
        self.batch_ids, self.payload = batch_ids, payload
        self.stats: dict = {}
        self.worker = WorkerInfo(worker_id=0, slot=0)
        self.slot = None
        self.journal = None
        self.pinned = False
        self.outcome: str | None = None

    def commit(self, args: dict) -> None:
        """No worker to apply it: the merger merges it itself."""
        return None

    def can_commit(self) -> bool:
        return False

    @property
    def settled(self) -> bool:
        return self.outcome is not None

    def pin(self) -> None:
        self.pinned = True

    def unpin(self) -> None:
        self.pinned = False

    def complete(self) -> None:
        assert self.outcome is None
        self.outcome = "complete"

    def reject(self, reason: str) -> None:
        assert self.outcome is None
        self.outcome = f"rejected: {reason}"


@pytest.fixture(scope="module")
def leduc():
    game = load_game("leduc")
    abstraction = lossless_for(game)
    return build_tree(game, None, abstraction.num_buckets), abstraction


def _config(**mccfr) -> MCCFRConfig:
    return MCCFRConfig(seed=4, discount_mode="pluribus", discount_interval=2 * BATCH, **mccfr)


def _results(tree, abstraction, config: MCCFRConfig, groups: list[list[int]]) -> list[tuple[list[dict], dict]]:
    """Results computed against zero regrets, each holding the batches (indices) of its group together."""
    run = BlueprintRun.in_memory(tree, abstraction, config)
    runner = BatchRunner(tree, abstraction)
    out = []
    for group in groups:
        tasks = []
        iterations = nodes = 0
        for index in group:
            first = index * BATCH
            task = {"first_iteration": first, "iterations": BATCH}
            ran, visited = runner.accumulate(run.tables.regret, first, BATCH, config.seed,
                                             config.kernel_params(first))
            tasks.append(task)
            iterations, nodes = iterations + ran, nodes + visited
        deltas = runner.pack()
        out.append((tasks, {"iterations": iterations, "nodes": nodes, **deltas.fields()}))
    return out


def _merge_all(run: BlueprintRun, results: list[tuple[list[dict], dict]], order: list[int],
               mergers: list[Merger] | None = None) -> list[FakeDelivery]:
    async def go() -> list[FakeDelivery]:
        keeper = Housekeeping(run, EventLog(None), None, TrainingClock(0.0))
        merger = Merger(run, keeper, EventLog(None), fail=pytest.fail)
        if mergers is not None:
            mergers.append(merger)
        merger.start()
        deliveries = []
        for index in order:
            tasks, payload = results[index]
            delivery = FakeDelivery(list(range(len(tasks))), payload)
            deliveries.append(delivery)
            merger.add(Unit(min(t["first_iteration"] for t in tasks), tasks, delivery))  # type: ignore[arg-type]
            await asyncio.sleep(0)
        await merger.finish(force=False)
        return deliveries

    return asyncio.run(go())


def _merged_one_by_one(leduc, config: MCCFRConfig, results: list[tuple[list[dict], dict]]) -> BlueprintRun:
    """The reference: every result merged and recorded in iteration order, one at a time, each discount applied
    once it falls due."""
    reference = BlueprintRun.in_memory(*leduc, config)
    for tasks, payload in results:
        assert reference.merge(payload) is None
        reference.record(tasks, payload)
        for factors in reference.due_discounts():
            reference.discount_chunk(factors, 0, reference.tree.num_rows)
            reference.discount_done()
    return reference


def _count_hand_offs(monkeypatch) -> list[int]:
    """The number of results in each hand-off to the merge thread, from now on."""
    hand_offs: list[int] = []
    original = Merger._timed_merge

    def counted(self, payloads):
        hand_offs.append(len(payloads))
        return original(self, payloads)

    monkeypatch.setattr(Merger, "_timed_merge", counted)
    return hand_offs


def test_the_same_results_merged_in_every_order_give_bitwise_equal_tables(leduc):
    config = _config()
    results = _results(*leduc, config, [[0], [1], [2], [3], [4]])
    tables = []
    for order in itertools.islice(itertools.permutations(range(5)), 0, 120, 7):
        run = BlueprintRun.in_memory(*leduc, config)
        deliveries = _merge_all(run, results, list(order))
        assert all(d.outcome == "complete" for d in deliveries)
        assert run.applied.to_list() == [[0, 5 * BATCH]] and run.discounts_done == 2
        tables.append((run.tables.regret.tobytes(), run.tables.strategy_sum.tobytes()))
    assert len(set(tables)) == 1, "merge order changed the tables"


def test_results_merged_together_in_one_hand_off_give_the_tables_of_merging_them_one_by_one(leduc, monkeypatch):
    config = MCCFRConfig(seed=4, regret_floor_bb_per_iteration=-0.002)
    results = _results(*leduc, config, [[0], [1, 2], [3], [4], [5]])
    reference = _merged_one_by_one(leduc, config, results)
    hand_offs = _count_hand_offs(monkeypatch)
    run = BlueprintRun.in_memory(*leduc, config)
    deliveries = _merge_all(run, results, [4, 3, 2, 1, 0])
    assert all(d.outcome == "complete" for d in deliveries)
    assert hand_offs == [5], "every result waited for the first one, then all merged in one hand-off"
    assert run.applied.to_list() == [[0, 6 * BATCH]]
    assert run.tables.regret.tobytes() == reference.tables.regret.tobytes(), "a later result used a stale floor"
    assert run.tables.strategy_sum.tobytes() == reference.tables.strategy_sum.tobytes()
    floor = config.thresholds(reference.big_blind, 5 * BATCH)[1]
    assert (reference.tables.regret == np.float32(floor)).any(), "the floor clamped something: the test can fail"


def test_a_bad_result_in_a_hand_off_is_rejected_alone_and_those_after_it_wait_for_its_batch_again(leduc,
                                                                                                 monkeypatch):
    config = MCCFRConfig(seed=4)
    results = _results(*leduc, config, [[0], [1], [2]])
    reference = _merged_one_by_one(leduc, config, results)
    bad_tasks, good_payload = results[1]
    bad_payload = {**good_payload, "regret": np.full_like(good_payload["regret"], np.nan)}
    run = BlueprintRun.in_memory(*leduc, config)
    hand_offs = _count_hand_offs(monkeypatch)

    async def go() -> list[FakeDelivery]:
        merger = Merger(run, Housekeeping(run, EventLog(None), None, TrainingClock(0.0)), EventLog(None),
                        fail=pytest.fail)
        merger.start()
        deliveries = [FakeDelivery([2], results[2][1]), FakeDelivery([1], bad_payload),
                      FakeDelivery([0], results[0][1])]
        for delivery, tasks in zip(deliveries, (results[2][0], bad_tasks, results[0][0])):
            merger.add(Unit(tasks[0]["first_iteration"], tasks, delivery))  # type: ignore[arg-type]
        async with asyncio.timeout(30):
            while deliveries[1].outcome is None:
                await asyncio.sleep(0.001)
        assert run.applied.to_list() == [[0, BATCH]] and deliveries[0].outcome is None, "2 waits for 1 again"
        again = FakeDelivery([1], good_payload)
        merger.add(Unit(BATCH, bad_tasks, again))  # type: ignore[arg-type]
        await merger.finish(force=False)
        return [*deliveries, again]

    deliveries = asyncio.run(go())
    rejected = "rejected: regret half: a value is not finite"
    assert [d.outcome for d in deliveries] == ["complete", rejected, "complete", "complete"]
    assert hand_offs == [3, 2]
    assert run.applied.to_list() == [[0, 3 * BATCH]]
    assert run.tables.regret.tobytes() == reference.tables.regret.tobytes()
    assert run.tables.strategy_sum.tobytes() == reference.tables.strategy_sum.tobytes()


def test_a_discount_applies_only_once_every_iteration_below_its_boundary_is_in(leduc):
    config = _config()
    results = _results(*leduc, config, [[0], [1], [2]])
    run = BlueprintRun.in_memory(*leduc, config)
    mergers: list[Merger] = []
    _merge_all(run, results, [0, 2], mergers)
    assert run.applied.to_list() == [[0, BATCH]] and run.discounts_done == 0, \
        "a result past the boundary must wait for the one before it"
    reference = BlueprintRun.in_memory(*leduc, config)
    _merge_all(reference, results, [0, 1, 2])
    _merge_all(run, results, [2, 1], mergers)
    assert run.discounts_done == reference.discounts_done == 1
    assert mergers[0].discount_cpu_seconds == 0.0 < mergers[1].discount_cpu_seconds, "progress reports its CPU"
    assert run.tables.regret.tobytes() == reference.tables.regret.tobytes()


def test_past_the_discount_cutoff_results_merge_in_one_hand_off_and_open_no_new_epoch(leduc, monkeypatch):
    config = _config(discount_cutoff=2 * BATCH)
    results = _results(*leduc, config, [[0], [1], [2], [3], [4], [5]])
    undiscounted = _merged_one_by_one(leduc, dataclasses.replace(config, discount_mode="none"), results)
    hand_offs = _count_hand_offs(monkeypatch)
    run = BlueprintRun.in_memory(*leduc, config)
    deliveries = _merge_all(run, results, [5, 4, 3, 2, 1, 0])
    assert all(d.outcome == "complete" for d in deliveries)
    assert hand_offs == [2, 4], "a barrier only at the one discount, none at the intervals after the cutoff"
    assert run.discounts_done == 3 and run.discount_epoch() == 1 and run.discount_due_at() is None, \
        "past the cutoff each interval still counts (a no-op), but opens no epoch and no barrier"
    discounted = _merged_one_by_one(leduc, config, results)
    assert discounted.discounts_done == 3
    assert run.tables.regret.tobytes() == discounted.tables.regret.tobytes()
    assert run.tables.strategy_sum.tobytes() == discounted.tables.strategy_sum.tobytes()
    assert run.tables.regret.tobytes() != undiscounted.tables.regret.tobytes(), "the discount changed the tables"
    run.config = dataclasses.replace(run.config, mccfr=dataclasses.replace(config, discount_cutoff=10 * BATCH))
    assert run.due_discounts() == [] and run.discount_due_at() == 8 * BATCH, \
        "a cutoff raised on resume discounts from the next boundary on, never iterations already past"


def test_resume_after_out_of_order_merges_applies_every_iteration_exactly_once(leduc, tmp_path):
    tree, abstraction = leduc
    config = TrainConfig(game="leduc", iterations=6 * BATCH, num_workers=1, batch_size=BATCH, mccfr=_config())
    counts = np.zeros(6 * BATCH, dtype=np.int64)

    def counting(run: BlueprintRun) -> BlueprintRun:
        record = run.record

        def counted(tasks, payload):
            record(tasks, payload)
            for task in tasks:
                counts[task["first_iteration"]: task["first_iteration"] + task["iterations"]] += 1

        run.record = counted  # type: ignore[method-assign]
        return run

    run = counting(create(config, tmp_path))
    results = _results(tree, abstraction, config.mccfr, [[0, 2], [1, 3]])
    _merge_all(run, results, [0])
    assert run.applied.to_list() == [[0, BATCH], [2 * BATCH, 3 * BATCH]]
    checkpoint = asyncio.run(Housekeeping(run, EventLog(None), None, TrainingClock(0.0)).checkpoint("test"))
    run.close()

    from holdem.training.sequential import SequentialTrainer

    resumed = counting(resume(checkpoint, config, tmp_path))
    assert resumed.applied.to_list() == [[0, BATCH], [2 * BATCH, 3 * BATCH]]
    trainer = SequentialTrainer(resumed, BATCH)
    while resumed.budget_left(0.0):
        trainer.run_batch(BATCH)
    assert resumed.applied.to_list() == [[0, 6 * BATCH]]
    assert counts.min() == counts.max() == 1, "every iteration applied exactly once, across the resume"


def test_a_forced_stop_mid_discount_leaves_tables_a_run_passed_through(leduc, monkeypatch):
    config = _config()
    results = _results(*leduc, config, [[0], [1]])
    run = BlueprintRun.in_memory(*leduc, config)
    _merge_all(run, results, [0])
    before = run.tables.regret.copy(), run.tables.strategy_sum.copy()
    monkeypatch.setattr("holdem.training.merger.discount_chunks", lambda rows: discount_chunks(rows, chunk_rows=16))
    chunks_seen: list[int] = []
    original = run.discount_chunk

    async def go() -> None:
        keeper = Housekeeping(run, EventLog(None), None, TrainingClock(0.0))
        merger = Merger(run, keeper, EventLog(None), fail=pytest.fail)
        stopping: list[asyncio.Task] = []

        def chunk(factors, start, stop):
            chunks_seen.append(start)
            original(factors, start, stop)
            if len(chunks_seen) == 2 and not stopping:
                stopping.append(loop.create_task(merger.finish(force=True)))

        run.discount_chunk = chunk  # type: ignore[method-assign]
        loop = asyncio.get_running_loop()
        merger.start()
        tasks, payload = results[1]
        merger.add(Unit(BATCH, tasks, FakeDelivery([1], payload)))  # type: ignore[arg-type]
        while not stopping:
            await asyncio.sleep(0.001)
        await stopping[0]

    asyncio.run(go())
    assert len(chunks_seen) == len(list(discount_chunks(run.tree.num_rows, chunk_rows=16))) > 2
    assert run.discounts_done == 1
    merged = BlueprintRun.in_memory(*leduc, config)
    merged.tables.regret[:], merged.tables.strategy_sum[:] = before
    merged.merge(results[1][1])
    discount(merged.tables, *config.discount_factors(2 * BATCH))
    assert run.tables.regret.tobytes() == merged.tables.regret.tobytes(), "the discount ran to its end"


def test_bad_results_are_rejected_and_nothing_of_them_is_merged(leduc, tmp_path):
    config = TrainConfig(game="leduc", iterations=4 * BATCH, num_workers=2, batch_size=BATCH, mccfr=_config())
    run = create(config, tmp_path, shared=True)
    _, good = _results(*leduc, config.mccfr, [[0]])[0]
    cases = {
        "NaN": {**good, "regret": np.where(np.arange(good["regret"].size) == 3, np.nan, good["regret"])
                .astype(np.float32)},
        "count": {**good, "iterations": BATCH - 1},
        "dtype": {**good, "regret_rows": good["regret_rows"].astype(np.int64)},
        "shape": {**good, "strategy": good["strategy"][:-1]},
        "order": {**good, "strategy_rows": good["strategy_rows"][::-1].copy()},
    }
    before = run.tables.regret.copy()

    async def feed() -> dict[str, str | None]:
        job = BlueprintJob(run, EventLog(None), None)
        task = job.next_task(0)
        verdicts = {}
        for name, payload in cases.items():
            assert job.tasks == {0: task}, f"batch 0 is still this run's to merge before the {name!r} case"
            delivery = FakeDelivery([0], payload)
            job.accept(delivery)  # type: ignore[arg-type]
            async with asyncio.timeout(30):
                while delivery.outcome is None:
                    await asyncio.sleep(0.001)
            verdicts[name] = delivery.outcome
        await job.finish(force=False)
        return verdicts

    try:
        verdicts = asyncio.run(feed())
    finally:
        run.close()
    assert all(v.startswith("rejected") for v in verdicts.values()), verdicts
    assert np.array_equal(run.tables.regret, before) and run.iterations_applied == 0


def test_linear_weighting_with_pluribus_discounts_is_refused_in_one_line():
    with pytest.raises(ConfigError) as info:
        MCCFRConfig.from_dict({"use_linear_weighting": True, "discount_mode": "pluribus"})
    assert "twice" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="not both"):
        MCCFRConfig.from_dict({"pruning_threshold": -5, "pruning_threshold_bb_per_iteration": -0.01})


def test_every_shipped_config_survives_the_round_trip_workers_make():
    from holdem.training.config import CONFIGS_DIR, build_config, load_config_file

    for path in sorted(CONFIGS_DIR.glob("*.yaml")):
        mccfr = build_config(load_config_file(str(path))).mccfr
        assert MCCFRConfig.from_dict(mccfr.to_dict()) == mccfr, path.name


def test_thresholds_per_big_blind_scale_with_the_effective_iterations():
    config = MCCFRConfig.from_dict({"discount_mode": "pluribus", "discount_interval": 1000,
                                    "pruning_threshold_bb_per_iteration": -0.01,
                                    "regret_floor_bb_per_iteration": -0.0103, "enable_pruning": True})
    early, late = config.thresholds(100.0, 10_000), config.thresholds(100.0, 1_000_000)
    assert late[0] / early[0] == pytest.approx(config.effective_iterations(1_000_000)
                                               / config.effective_iterations(10_000))
    assert early[1] < early[0] < 0 and late[1] < late[0]


def test_a_pruned_action_comes_back_above_the_regret_floor(leduc):
    """Seat 1 holds the best card facing a raise in round 1: calling is good. Start its call and raise
    regrets far below the pruning threshold; with a floor they climb back above it and get played."""
    tree, abstraction = leduc
    node = next(int(n) for n in np.nonzero((tree.kind == 0) & (tree.player == 1) & (tree.street == 0))[0]
                if tree.num_children[n] == 3)
    bucket = abstraction.bucket(0, np.array([[max(tree.game.deck)]], dtype=np.int32))[0]
    row = int(tree.row_offset[node]) + int(bucket)

    def recovered(floor: float | None) -> float:
        config = MCCFRConfig(seed=5, enable_pruning=True, pruning_probability=0.95, pruning_threshold=-300.0,
                             regret_floor=floor)
        run = BlueprintRun.in_memory(tree, abstraction, config)
        run.tables.regret[row, 1:3] = -1e9
        run.tables.regret[row, 0] = 1.0
        from holdem.training.sequential import SequentialTrainer

        SequentialTrainer(run, 2000).step(200_000)
        return float(run.tables.regret[row, 1:3].max())

    assert recovered(-310.0) > -300.0, "with a floor the pruned action came back above the threshold"
    assert recovered(None) < -1e8, "without a floor it stays buried"


def test_a_shared_mode_worker_reads_a_private_regret_copy_refreshed_between_tasks(tmp_path, monkeypatch):
    import json

    from holdem.training import job as job_module

    config = TrainConfig(game="leduc", num_workers=2, regret_sharing="shared", mccfr=_config())
    run = create(config, tmp_path, shared=True)
    try:
        job_module.worker_spec(run)
        spec = json.loads(run.paths.worker_spec.read_text())
        assert spec["regret_copy"], "two copies of Leduc's regrets fit any machine"
        handler = BatchHandler(spec)
        assert handler.master is not None and not np.shares_memory(handler.regret, handler.master)
        run.tables.regret[:] = 3.0
        tasks = [run.plan_batch(BATCH) for _ in range(2)]
        handler.refresh_at = float("inf")
        handler.run(tasks[0])
        assert not (handler.regret == 3.0).any(), "the copy is not refreshed before it is due"
        handler.refresh_at = 0.0
        handler.run(tasks[1])
        assert (handler.regret == 3.0).all(), "a due refresh runs before the next task"
        payload = handler.flush(lambda dtype, shape: np.empty(shape, dtype=dtype))
        assert payload["refresh_cpu_s"] > 0
        monkeypatch.setattr(job_module, "COPY_MEMORY_SHARE", 0.0)
        job_module.worker_spec(run)
        assert not json.loads(run.paths.worker_spec.read_text())["regret_copy"], "copies that do not fit are not made"
        assert BatchHandler(json.loads(run.paths.worker_spec.read_text())).master is None
    finally:
        run.close()


def test_a_worker_holds_results_until_a_boundary_and_sends_one_result_for_several_tasks(leduc, tmp_path):
    config = TrainConfig(game="leduc", num_workers=2, mccfr=_config())
    run = create(config, tmp_path, shared=True)
    try:
        from holdem.training.job import worker_spec

        worker_spec(run)
        import json

        spec = json.loads(run.paths.worker_spec.read_text())
        spec["result_seconds"] = 1e9
        handler = BatchHandler(spec)
        tasks = [run.plan_batch(BATCH) for _ in range(3)]
        handler.run(tasks[0])
        assert not handler.flush_due(tasks[1]), "same discount interval: keep accumulating"
        handler.run(tasks[1])
        assert handler.flush_due(tasks[2]), "the next task lies past a discount boundary"
        payload = handler.flush(lambda dtype, shape: np.empty(shape, dtype=dtype))
        assert payload["iterations"] == 2 * BATCH
        assert payload["kernel_cpu_s"] > 0 and payload["pack_cpu_s"] >= 0, "where the worker's CPU went"
        assert run.check_result(tasks[:2], payload) is None and run.merge(payload) is None
    finally:
        run.close()


def test_only_results_behind_a_missing_predecessor_may_leave_their_arena_slot(leduc):
    """Queued results whose predecessors all arrived are pinned (their worker waits for the slot); a result
    behind a gap is not, and a result rejected at merge time reopens its gap and unpins what waits behind."""
    config = _config()
    run = BlueprintRun.in_memory(*leduc, config)
    results = _results(*leduc, config, [[0], [1], [2], [3]])

    async def go() -> None:
        merger = Merger(run, Housekeeping(run, EventLog(None), None, TrainingClock(0.0)), EventLog(None),
                        fail=pytest.fail)
        deliveries = {index: FakeDelivery([index], results[index][1]) for index in range(4)}
        for index in (2, 1):
            merger.add(Unit(index * BATCH, results[index][0], deliveries[index]))  # type: ignore[arg-type]
        assert not deliveries[1].pinned and not deliveries[2].pinned
        merger.add(Unit(0, results[0][0], deliveries[0]))  # type: ignore[arg-type]
        assert all(deliveries[index].pinned for index in (0, 1, 2))
        bad = dict(results[3][1], regret_rows=results[3][1]["regret_rows"][::-1].copy())
        deliveries[3].payload = bad
        merger.add(Unit(3 * BATCH, results[3][0], deliveries[3]))  # type: ignore[arg-type]
        merger.start()
        await merger.finish(force=False)
        assert [deliveries[i].outcome for i in range(3)] == ["complete"] * 3
        assert deliveries[3].outcome is not None and deliveries[3].outcome.startswith("rejected")
        late = FakeDelivery([4], results[3][1])
        merger.add(Unit(4 * BATCH, [{"first_iteration": 4 * BATCH, "iterations": BATCH}], late))  # type: ignore[arg-type]
        assert not late.pinned

    asyncio.run(go())


def test_results_behind_a_gap_are_detachable_up_to_a_limit_and_all_of_them_while_a_batch_goes_out_again(leduc):
    run = BlueprintRun.in_memory(*leduc, _config())
    merger = Merger(run, Housekeeping(run, EventLog(None), None, TrainingClock(0.0)), EventLog(None),
                    fail=pytest.fail)
    merger.detach_limit = 2

    def unit(index: int) -> Unit:
        task = {"first_iteration": index * BATCH, "iterations": BATCH}
        return Unit(index * BATCH, [task], FakeDelivery([index], {}))  # type: ignore[arg-type]

    behind = [unit(index) for index in (1, 2, 3, 4)]
    for waiting in behind:
        merger.add(waiting)
    assert [w.delivery.pinned for w in behind] == [False, False, True, True]
    merger.reopen(0)
    later = unit(5)
    merger.add(later)
    assert not any(w.delivery.pinned for w in [*behind, later])
    merger.add(unit(0))
    assert all(w.delivery.pinned for w in [*behind, later])


def test_progress_measures_table_fill_at_most_every_fill_interval_and_in_the_last_event(leduc, monkeypatch) -> None:
    """Progress every second reports the table fill measured within the last ``FILL_INTERVAL_S`` (it moves slowly
    and costs the supervisor a walk over the table); a forced, last event measures it afresh."""
    import types

    from holdem.training import housekeeping

    run = BlueprintRun.in_memory(*leduc, MCCFRConfig())
    now = [1000.0]
    monkeypatch.setattr(housekeeping, "time", types.SimpleNamespace(monotonic=lambda: now[0],
                                                                    perf_counter=lambda: now[0]))
    measured: list[float] = []

    def fill() -> float:
        measured.append(now[0])
        return 0.25 * len(measured)

    monkeypatch.setattr(run, "table_fill", fill)
    keeper = Housekeeping(run, EventLog(None), None, TrainingClock(0.0))
    reported = []
    keeper.on_progress = lambda fields: reported.append(fields["table_fill"])
    for _ in range(12):
        now[0] += 1.0
        assert asyncio.run(keeper.maybe_progress({}))
    asyncio.run(keeper.maybe_progress({}, force=True))
    assert measured == [1001.0, 1011.0, 1012.0]
    assert reported == [0.25] * 10 + [0.5, 0.5, 0.75]
