"""CPU priority and placement: workers and helper threads run below the event loop, and helper threads off the
loop's CPU, so a machine with every core busy serves the loop first.

Linux schedules threads. A waking loop thread otherwise waits behind work of its own priority, and a helper
thread of the same process (a merge) tends to be placed on the loop's CPU, where the loop then waits for it.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

WORKER_NICE = 10
"""How far below the supervisor a CPU-bound worker runs (a local process, or a Ray actor of a head the run starts):
on a machine with every core busy the loop is served first, and workers lose only the time it uses."""

_loop_cpu: int | None = None
_allowed: set[int] = set()


def lower_priority(pid: int, nice: int) -> None:
    """Run process (or thread) ``pid`` ``nice`` steps below this process; best effort, never raises."""
    if nice <= 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))
    except (OSError, AttributeError):
        pass


def place_worker(pid: int, nice: int) -> None:
    """A worker process just started: ``nice`` steps below this process, and free to use every CPU this process
    may (a child inherits the CPUs of the thread that started it, which may be the pinned loop's one)."""
    lower_priority(pid, nice)
    if _loop_cpu is not None:
        try:
            os.sched_setaffinity(pid, _allowed)
        except OSError:
            pass


def pin_loop_thread() -> set[int] | None:
    """Keep the calling (event-loop) thread on one of its allowed CPUs, chosen by process id so that several
    supervisors on one machine spread out; returns the CPUs it was allowed before (None: nothing done)."""
    global _loop_cpu, _allowed
    try:
        allowed = os.sched_getaffinity(0)
        if len(allowed) < 2:
            return None
        cpu = sorted(allowed)[os.getpid() % len(allowed)]
        os.sched_setaffinity(threading.get_native_id(), {cpu})
    except (OSError, AttributeError):
        return None
    _loop_cpu, _allowed = cpu, set(allowed)
    return allowed


def unpin_loop_thread(allowed: set[int] | None) -> None:
    """Undo :func:`pin_loop_thread` (given what it returned)."""
    global _loop_cpu
    if allowed is None:
        return
    _loop_cpu = None
    try:
        os.sched_setaffinity(threading.get_native_id(), allowed)
    except OSError:
        pass


def helper_thread(nice: int) -> None:
    """A thread pool initializer: run the calling thread ``nice`` steps below its process, and off the loop's
    CPU while a supervisor keeps its loop on one (a new thread inherits its creator's CPUs: the loop's one)."""
    lower_priority(threading.get_native_id(), nice)
    loop_cpu = _loop_cpu
    if loop_cpu is None:
        return
    try:
        others = _allowed - {loop_cpu}
        if others:
            os.sched_setaffinity(threading.get_native_id(), others)
    except OSError:
        pass


def helper_pool(threads: int, name: str, nice: int = 0) -> ThreadPoolExecutor:
    """A thread pool whose threads start as :func:`helper_thread` (``nice`` below the loop, off its CPU)."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name, initializer=helper_thread,
                              initargs=(nice,))
