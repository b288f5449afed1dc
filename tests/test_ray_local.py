"""The Ray backend on a local Ray (2 CPUs, no dashboard): Leduc converges, a killed actor loses and doubles
nothing, and a run that starts its own Ray leaves no Ray process behind even when it is SIGKILLed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import psutil
import pytest

from orchestrator.ray_cluster import ACTOR_NICENESS_ENV
from tests.ray_support import KillOnce, events, leduc_config

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.xdist_group("ray")  # one Ray at a time when the suite runs in parallel

from holdem.training import train  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_leduc_through_ray_with_two_workers_converges_exactly_once(local_ray, tmp_path):
    runs = []
    outcome = train(leduc_config(4_000_000), tmp_path, on_start=runs.append)
    assert outcome.error is None and outcome.reason == "iterations"
    assert outcome.iterations == 4_000_000
    assert outcome.exploitability is not None and outcome.exploitability < 0.01
    assert runs[0].applied.to_list() == [[0, 4_000_000]]
    log = events(tmp_path)
    assert log[-1]["event"] == "run_end" and log[-1]["error"] is None
    assert [e["backend"] for e in log if e["event"] == "run_start"] == ["ray"]
    progress = [e for e in log if e["event"] == "progress" and e.get("snapshot_version") is not None]
    assert progress and all(e["snapshot_stale_iterations"] >= 0 for e in progress)


def test_killing_an_actor_process_reissues_its_batches_exactly_once(local_ray, tmp_path):
    """Also: shared regrets stored as int16 travel to the actors as (values, scale) snapshots and are learned from.

    Shared-mode actors sample from snapshots as stale as the run's timing makes them, so the exploitability after
    3M iterations varies from run to run (0.10-0.42 measured on 2 cores with one kept busy, 0.68 once in CI); a
    run whose actors never read a snapshot stays at the uniform policy's 2.37."""
    runs = []
    killer = KillOnce()
    config = leduc_config(3_000_000, batch_size=20_000, regret_dtype="int16", regret_sharing="shared",
                          ray_refresh_batches=1)
    outcome = train(config, tmp_path, on_start=runs.append, on_progress=killer)
    assert killer.killed is not None
    assert outcome.error is None and outcome.restarts >= 1
    assert outcome.iterations == 3_000_000 and runs[0].applied.to_list() == [[0, 3_000_000]]
    log = events(tmp_path)
    exits = [e for e in log if e["event"] == "exit" and e["pid"] == killer.killed]
    assert exits and exits[0]["status"].startswith("signal")
    assert log[-1]["event"] == "run_end" and log[-1]["iterations"] == 3_000_000
    assert max(e.get("snapshots", 0) for e in log if e["event"] == "progress") > 1
    assert runs[0].tables.regret.dtype == "int16" and outcome.exploitability < 1.0


def _tree(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _ray_worker_niceness(processes: list[psutil.Process]) -> set[int]:
    """The niceness of Ray's worker processes among ``processes`` (not its agents), skipping any that has exited."""
    found = set()
    for process in processes:
        try:
            name = (process.cmdline() or [""])[0]
            if name.startswith("ray::") and not name.endswith("Agent"):
                found.add(process.nice())
        except psutil.Error:
            continue
    return found


def test_a_killed_run_leaves_no_ray_process_it_started(tmp_path):
    """Also: the head it starts runs the actors at the local workers' priority, not Ray's nice 15."""
    logdir = tmp_path / "run"
    cli = subprocess.Popen(
        [sys.executable, "-m", "holdem.cli.train_blueprint", "--config", "leduc", "--logdir", str(logdir),
         "--backend", "ray", "--num-workers", "1", "--iters", "1000000000", "--quiet"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k not in ACTOR_NICENESS_ENV})
    try:
        deadline = time.monotonic() + 120
        while not ((logdir / "events.jsonl").is_file() and any(e["event"] == "ready" for e in events(logdir))):
            assert cli.poll() is None and time.monotonic() < deadline, "the run never got a worker ready"
            time.sleep(0.1)
        reapers = [p for p in psutil.Process(cli.pid).children() if "orchestrator.ray_cluster" in " ".join(p.cmdline())]
        assert len(reapers) == 1
        started = _tree(reapers[0].pid)
        assert any("raylet" in " ".join(p.cmdline()) for p in started)
        assert _ray_worker_niceness(started) == {10}, "actors run as far below the driver as local workers"
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(timeout=10)
        reapers[0].wait(timeout=60)
        _, alive = psutil.wait_procs(started, timeout=10)
        assert alive == [], [p.pid for p in alive]
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()


def test_a_run_starts_its_own_ray_head_on_a_machine_with_no_ray_token(tmp_path):
    from orchestrator.ray_cluster import TOKEN_ENV

    env = {k: v for k, v in os.environ.items() if k not in TOKEN_ENV}
    env["HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-m", "holdem.cli.train_blueprint", "--config", "leduc", "--logdir", str(tmp_path / "run"),
         "--backend", "ray", "--num-workers", "1", "--iters", "20000", "--quiet"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert events(tmp_path / "run")[-1]["iterations"] == 20000


def test_an_unreachable_cluster_address_fails_at_once_with_one_line():
    from orchestrator.ray_cluster import RayCluster, RayClusterError

    with pytest.raises(RayClusterError, match="no Ray cluster answers at 127.0.0.1:1"):
        RayCluster("127.0.0.1:1").start()


class _Call:
    """A stand-in for an actor method: ``remote`` returns a future the test resolves."""

    def __init__(self) -> None:
        self.pending: list[asyncio.Future] = []

    def remote(self, *args: object) -> asyncio.Future:
        self.pending.append(asyncio.get_running_loop().create_future())
        return self.pending[-1]


class _Actor:
    def __init__(self) -> None:
        self.boot, self.run = _Call(), _Call()


class _Sink:
    def on_messages(self, handle: object, messages: list[dict]) -> None:
        pass

    def on_eof(self, handle: object) -> None:
        pass

    def on_output(self, handle: object, stream: str, line: str) -> None:
        pass


def test_staleness_counts_only_actors_computing_a_task():
    """A booting or idle actor takes the newest snapshot with its next task, so the version it was handed at
    spawn is not reported as stale; a computing actor's version is, until its reply."""
    from orchestrator.protocol import MessageType
    from orchestrator.ray_transport import RayHandle, RayTransport

    async def scenario() -> None:
        transport, actor = RayTransport("unused:factory"), _Actor()
        transport._published["regret"] = (0, "snapshot 0")
        handle = RayHandle(transport, 0, _Sink(), actor)
        transport.handles[0] = handle
        handle.start(transport._published)
        transport._published["regret"] = (500, "snapshot 500")
        assert transport.live_versions("regret") == [], "booting: nothing computed with version 0"
        actor.boot.pending[0].set_result({"t": MessageType.READY, "pid": 1})
        await asyncio.sleep(0)
        assert transport.live_versions("regret") == [], "ready and idle"
        handle.write(msgpack.packb({"t": MessageType.TASK, "batch_id": 1, "payload": {}}))
        assert len(actor.run.pending) == 1 and transport.live_versions("regret") == [500]
        transport._published["regret"] = (900, "snapshot 900")
        assert transport.live_versions("regret") == [500], "the task runs with what it was sent"
        actor.run.pending[0].set_result([{"t": MessageType.DONE, "batch_id": 1}])
        await asyncio.sleep(0)
        assert transport.live_versions("regret") == []
        handle.close()

    asyncio.run(scenario())
