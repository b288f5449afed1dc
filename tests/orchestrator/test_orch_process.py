"""The supervisor as a whole process: signals stop it cleanly, and its death takes every worker along."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import psutil
import pytest


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def _start_demo(*extra: str, min_done: int = 4) -> tuple[asyncio.subprocess.Process, list[int]]:
    """Start the demo supervisor (on the same kind of loop as this test) once both workers are ready."""
    kind = "uvloop" if "uvloop" in type(asyncio.get_running_loop()).__module__ else "asyncio"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "orchestrator.testing.demo", "--workers", "2", "--loop", kind, *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
    )
    pids: list[int] = []
    done = 0
    assert proc.stdout is not None
    while len(pids) < 2 or done < min_done:
        line = await proc.stdout.readline()
        assert line, "demo supervisor ended early"
        event = json.loads(line)
        if event["event"] == "ready":
            pids.append(event["pid"])
        elif event["event"] == "progress":
            done = event["batches_done"]
    return proc, pids


async def _drain(proc: asyncio.subprocess.Process) -> list[dict]:
    assert proc.stdout is not None
    return [json.loads(line) for line in (await proc.stdout.read()).splitlines() if line.strip()]


async def _wait_gone(pids: list[int], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not all(_gone(pid) for pid in pids):
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_while_busy_exits_zero_in_bounded_time_with_no_child_left(sig: int) -> None:
    async with asyncio.timeout(30):
        proc, pids = await _start_demo("--work-s", "0.05", "--grace-s", "2")
        proc.send_signal(sig)
        events, rc = await asyncio.gather(_drain(proc), asyncio.wait_for(proc.wait(), 8))
        await _wait_gone(pids, 2)
    assert rc == 0
    [shutdown] = [e for e in events if e["event"] == "shutdown"]
    assert shutdown["reason"] == f"signal {signal.Signals(sig).name}" and shutdown["abandoned"] == []


async def test_second_signal_escalates_to_kill() -> None:
    async with asyncio.timeout(30):
        proc, pids = await _start_demo("--work-s", "3", "--grace-s", "20", min_done=0)
        proc.send_signal(signal.SIGINT)
        assert proc.stdout is not None
        while b"draining" not in await proc.stdout.readline():
            pass
        proc.send_signal(signal.SIGINT)
        events, rc = await asyncio.gather(_drain(proc), asyncio.wait_for(proc.wait(), 8))
        await _wait_gone(pids, 2)
    assert rc == 0
    assert any(e["event"] == "stop_forced" for e in events)
    [shutdown] = [e for e in events if e["event"] == "shutdown"]
    assert shutdown["abandoned"]


async def test_supervisor_sigkilled_takes_every_worker_within_two_seconds() -> None:
    async with asyncio.timeout(30):
        proc, pids = await _start_demo("--work-s", "0.05")
        proc.kill()
        await proc.wait()
        await _wait_gone(pids, 2)


def test_chaos_script_reports_no_loss_and_an_exact_result() -> None:
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "chaos.py"
    out = subprocess.run(
        [sys.executable, str(script), "--job-arg", "n_batches=120", "--job-arg", "work_s=0.01", "--seed", "3",
         "--every-batches", "15", "--duration", "600"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert last["lost"] == 0 and last["duplicated"] == 0 and last["exact"] is True and last["kills"] >= 1
