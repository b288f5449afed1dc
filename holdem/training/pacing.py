"""How much work a worker holds per result, paced so that merging stays a small share of the run's CPU.

A merge walks every row a result touches, and rows touched grow more slowly than the work behind them
(hot rows repeat), so longer results cost the merge thread less per second of work. The pacer measures
the merge thread's CPU share and lengthens results while it is above its budget, shortens them (down to
``batch_target_seconds``) once it is well below: a few workers get fresh results, many workers longer ones,
and the merge thread never becomes the bottleneck. The budget is ``MERGE_SHARE_PER_WORKER`` of a core per
worker (what merging may take from the cores the workers share with the supervisor), at most
``MAX_MERGE_BUSY`` of each merge thread; and while the workers wait for tasks or result slots more than
``MAX_WAIT_SHARE`` of their time, results lengthen whatever merging takes (the event loop, or cores the supervisor
shares with the workers, may be the limit). Longer is not free: a worker's delta buffer outgrows its cache. On the
5-hour config with two workers on two cores, 3% paced 0.2 s results: the supervisor took 7.8% of a core and one
worker got 93% of its own; 2% paced 0.5-0.7 s results, the supervisor took 5.1%, every worker at least 95%, and
the workers' kernel lost 3% of its speed to the larger buffer but packed a third less often.
"""

from __future__ import annotations

MERGE_SHARE_PER_WORKER = 0.02
MAX_MERGE_BUSY = 0.5
MAX_RESULT_SECONDS = 4.0
WINDOW_S = 2.0
MAX_STEP = 2.0
MAX_WAIT_SHARE = 0.05
"""Workers waiting (for a task or a free result slot) more than this share of their time means the supervisor is
not keeping up, whatever the merge thread's share says (its event loop, or the cores it shares with the workers,
may be the limit): results lengthen by the share it did serve."""
SHORTEN_WAIT_SHARE = 0.01
"""Results shorten only while the workers wait less than this share of their time: between it and
``MAX_WAIT_SHARE`` the pace holds, so a run whose event loop is the limit settles instead of halving its results
as soon as the waits dip and lengthening them again a window later."""


class ResultPacer:
    """The kernel seconds a worker should hold per result (``seconds``), adjusted from merge CPU use and the
    workers' waits."""

    def __init__(self, floor_s: float, workers: int, merge_threads: int = 1, ceiling_s: float = MAX_RESULT_SECONDS
                 ) -> None:
        self.floor_s = floor_s
        self.ceiling_s = max(floor_s, ceiling_s)
        self.seconds = floor_s
        self.workers = max(1, workers)
        self.budget = min(MERGE_SHARE_PER_WORKER * self.workers, MAX_MERGE_BUSY * max(1, merge_threads))
        self.busy = 0.0
        self.waiting = 0.0
        self._window_start: tuple[float, float, float] | None = None

    def observe(self, now_s: float, merge_cpu_s: float, waited_s: float = 0.0) -> bool:
        """Account the merge thread's CPU seconds and the workers' waits (seconds, all workers together) so far
        at time ``now_s``; True when ``seconds`` changed."""
        if self._window_start is None:
            self._window_start = (now_s, merge_cpu_s, waited_s)
            return False
        start, cpu_start, waited_start = self._window_start
        if now_s - start < WINDOW_S:
            return False
        self._window_start = (now_s, merge_cpu_s, waited_s)
        busy = self.busy = (merge_cpu_s - cpu_start) / (now_s - start)
        waiting = self.waiting = min(1.0, (waited_s - waited_start) / ((now_s - start) * self.workers))
        if waiting > MAX_WAIT_SHARE or busy > self.budget:
            served = 1.0 / max(1.0 / MAX_STEP, 1.0 - waiting) if waiting > MAX_WAIT_SHARE else 1.0
            step = max(served, min(MAX_STEP, busy / self.budget))
        elif busy < 0.5 * self.budget and waiting < SHORTEN_WAIT_SHARE:
            step = max(1.0 / MAX_STEP, busy / (0.5 * self.budget)) if busy > 0 else 1.0 / MAX_STEP
        else:
            return False
        seconds = min(self.ceiling_s, max(self.floor_s, self.seconds * step))
        changed = abs(seconds - self.seconds) > 1e-9
        self.seconds = seconds
        return changed


class Average:
    """An exponentially weighted mean (``weight`` on each new sample; the first sample is taken as it is)."""

    def __init__(self, weight: float = 0.1) -> None:
        self.weight = weight
        self.value = 0.0
        self._empty = True

    def add(self, sample: float) -> None:
        if self._empty:
            self.value, self._empty = sample, False
        else:
            self.value += self.weight * (sample - self.value)
