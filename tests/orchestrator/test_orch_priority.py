"""Thread placement and priority: the loop thread on one CPU, helper threads off it and below the loop."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from orchestrator.priority import helper_thread, pin_loop_thread, unpin_loop_thread

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                                reason="needs two CPUs and Linux thread affinity")


def where_and_how_nice() -> tuple[set[int], int]:
    tid = threading.get_native_id()
    return os.sched_getaffinity(tid), os.getpriority(os.PRIO_PROCESS, tid)


def test_helper_threads_leave_the_loop_cpu_and_run_below_the_loop():
    def as_loop() -> tuple[set[int], set[int], int, set[int], set[int]]:
        allowed = pin_loop_thread()
        assert allowed is not None
        loop_cpus = os.sched_getaffinity(threading.get_native_id())
        with ThreadPoolExecutor(1, initializer=helper_thread, initargs=(4,)) as pool:
            helper_cpus, helper_nice = pool.submit(where_and_how_nice).result()
        with ThreadPoolExecutor(1) as plain:
            inherited, _ = plain.submit(where_and_how_nice).result()
        unpin_loop_thread(allowed)
        return loop_cpus, helper_cpus, helper_nice, inherited, os.sched_getaffinity(threading.get_native_id())

    own_nice = os.getpriority(os.PRIO_PROCESS, 0)
    allowed = os.sched_getaffinity(0)
    with ThreadPoolExecutor(1) as loop_thread:
        loop_cpus, helper_cpus, helper_nice, inherited, after = loop_thread.submit(as_loop).result()
    assert len(loop_cpus) == 1 and loop_cpus < allowed
    assert helper_cpus == allowed - loop_cpus, "every CPU but the loop's"
    assert helper_nice == min(19, own_nice + 4)
    assert inherited == loop_cpus, "a thread the loop starts without the initializer shares the loop's CPU"
    assert after == allowed, "unpinned"


def test_helper_threads_go_anywhere_when_no_loop_is_pinned():
    with ThreadPoolExecutor(1, initializer=helper_thread, initargs=(0,)) as pool:
        cpus, nice = pool.submit(where_and_how_nice).result()
    assert cpus == os.sched_getaffinity(0) and nice == os.getpriority(os.PRIO_PROCESS, 0)
