"""Restart intensity with an injected clock, and the batch ledger's exactly-once bookkeeping."""

from __future__ import annotations

import pytest

from orchestrator.ledger import BatchLedger, BatchState, LedgerError
from orchestrator.policy import Restart, RestartIntensity, RestartPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_intensity_allows_max_restarts_in_window_then_stops() -> None:
    clock = FakeClock()
    intensity = RestartIntensity(RestartPolicy(max_restarts=3, restart_window_s=10.0), clock)
    for _ in range(3):
        assert intensity.record()
        clock.now += 1.0
    assert not intensity.record()


def test_intensity_window_slides() -> None:
    clock = FakeClock()
    intensity = RestartIntensity(RestartPolicy(max_restarts=2, restart_window_s=10.0), clock)
    assert intensity.record() and intensity.record()
    clock.now += 10.0
    assert intensity.recent() == 0
    assert intensity.record() and intensity.record()
    clock.now += 5.0
    assert not intensity.record()
    assert intensity.total == 5


def test_backoff_doubles_and_caps() -> None:
    clock = FakeClock()
    policy = RestartPolicy(max_restarts=100, restart_window_s=60, backoff_initial_s=0.1, backoff_max_s=0.5)
    intensity = RestartIntensity(policy, clock)
    delays = []
    for _ in range(6):
        intensity.record()
        delays.append(intensity.backoff_s())
    assert delays == [0.0, 0.1, 0.2, 0.4, 0.5, 0.5]
    clock.now += 61
    assert intensity.backoff_s() == 0.0


def test_restart_types() -> None:
    assert Restart.PERMANENT.should_restart(False) and Restart.PERMANENT.should_restart(True)
    assert Restart.TRANSIENT.should_restart(True) and not Restart.TRANSIENT.should_restart(False)
    assert not Restart.TEMPORARY.should_restart(True)


def test_ledger_happy_path() -> None:
    ledger = BatchLedger()
    batch = ledger.add({"x": 1})
    assert batch.batch_id == 0 and ledger.new_batch_id() == 1
    ledger.issue(0, worker=5, now=0.0)
    assert ledger.in_flight_count(5) == 1
    assert ledger.receive(0, worker=5).state is BatchState.DELIVERING
    assert ledger.in_flight_count(5) == 0
    ledger.complete(0)
    assert ledger.done == 1 and ledger.outstanding() == 0


def test_ledger_rejects_results_from_the_wrong_worker_or_twice() -> None:
    ledger = BatchLedger()
    ledger.add({})
    ledger.issue(0, worker=1, now=0.0)
    with pytest.raises(LedgerError):
        ledger.receive(0, worker=2)
    ledger.receive(0, worker=1)
    with pytest.raises(LedgerError):
        ledger.receive(0, worker=1)
    with pytest.raises(LedgerError):
        ledger.receive(99, worker=1)


def test_requeue_puts_lost_batches_first_in_order_and_keeps_received_ones() -> None:
    ledger = BatchLedger()
    for i in range(4):
        ledger.add({"i": i})
    ledger.issue(0, worker=1, now=0.0)
    ledger.issue(1, worker=1, now=0.0)
    ledger.issue(2, worker=1, now=0.0)
    ledger.receive(1, worker=1)
    assert ledger.requeue_worker(1) == [0, 2]
    assert [ledger.next_pending().batch_id] == [0]
    ledger.issue(0, worker=2, now=0.0)
    assert ledger.next_pending().batch_id == 2
    assert ledger.counts() == {"pending": 2, "in_flight": 1, "delivering": 1, "done": 0, "requeued": 2}
    ledger.complete(1)
    with pytest.raises(LedgerError):
        ledger.receive(2, worker=1)
