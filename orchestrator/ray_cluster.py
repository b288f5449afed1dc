"""Connecting to Ray for a run, and a local Ray head that never outlives the run that started it.

``RayCluster(address)`` joins an existing cluster (``host:port`` or ``auto``) or, without an address, starts
a local head. The head is started by a small reaper process (``python -m orchestrator.ray_cluster``) that
makes itself the child subreaper of everything Ray starts (in a temp dir of its own, so no other Ray user
finds this head by accident), so Ray's daemons, orphaned or not, remain its
descendants. The reaper waits on its stdin: when the run closes it, or dies however it dies (even SIGKILL),
the reaper stops every descendant (SIGTERM, then SIGKILL), reaps them and exits. ``ray.init`` (blocking)
is called here, before the run's event loop starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from orchestrator.priority import WORKER_NICE

_PR_SET_CHILD_SUBREAPER = 36
READY = "ready"
BOOT_TIMEOUT_S = 120.0
STOP_WAIT_S = 5.0


class RayClusterError(RuntimeError):
    """Ray is not installed, or the cluster could not be started or joined."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token"}
"""Makes Ray take 127.0.0.1 as this node's address (read when ray is imported): a cluster on one machine then
talks over loopback only."""


START_PATIENCE_ENV = {"RAY_gcs_server_port_wait_time_s": "180"}
"""Ray gives a new head's GCS server 30 s to come up; on a loaded machine with cold caches it can need more (a
two-node test cluster's head missed it while the suite ran beside a busy core). The environment's own value wins."""


ACTOR_NICENESS_ENV = {"RAY_worker_niceness": str(WORKER_NICE)}
"""Ray starts its worker processes at nice 15; the heads this process starts run them at ``WORKER_NICE``, as local
workers run below the supervisor. At 15, busy processes of normal priority left each actor about 3% of a core:
beside two busy cores a Leduc test run took 87 s instead of 3 (36 s at 10). The environment's own value wins."""


TOKEN_ENV = ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")


def ensure_ray_token() -> None:
    """Give the heads this process starts, and this process, a fresh token when none is set up: Ray turns token
    authentication on, and ``ray start --head`` or a test cluster (unlike ``ray.init``) will not create
    ``~/.ray/auth_token``, so on a fresh machine the head refused to start."""
    if not any(name in os.environ for name in TOKEN_ENV) and not (Path.home() / ".ray" / "auth_token").is_file():
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(16)


def _loopback_only() -> None:
    if "ray" not in sys.modules:
        os.environ.update(LOOPBACK_ENV)


def _reachable(address: str, timeout_s: float = 10.0) -> None:
    """Fail at once with one line when nothing listens at ``host:port`` (``ray.init`` would retry for minutes)."""
    host, _, port = address.rpartition(":")
    if address == "auto" or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise RayClusterError(f"no Ray cluster answers at {address}: {exc.strerror or exc}") from None


def _local_ip(address: str) -> str | None:
    """127.0.0.1 for a cluster on this machine's loopback (Ray would otherwise pick the machine's address)."""
    return "127.0.0.1" if address.startswith(("127.", "localhost")) else None


class RayCluster:
    """The Ray a run uses: joined at ``address``, the one this process already joined, or a local head."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.reaper: subprocess.Popen | None = None
        self._connected = False

    def start(self) -> RayCluster:
        """Join (or start, then join) the cluster; RayClusterError with one line when that fails."""
        if self.address is None or _local_ip(self.address):
            _loopback_only()
        try:
            import ray
        except ImportError:
            raise RayClusterError("the ray backend needs Ray: pip install 'holdem[ray]'") from None
        if self.address is None and ray.is_initialized():
            return self
        if self.address is None:
            self.address = self._start_head()
        else:
            _reachable(self.address)
        try:
            ray.init(address=self.address, log_to_driver=False, configure_logging=False,
                     _node_ip_address=_local_ip(self.address))
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; the user needs one line
            self.stop()
            raise RayClusterError(f"cannot join the Ray cluster at {self.address}: {exc}".splitlines()[0]) from None
        self._connected = True
        return self

    def total_cpus(self) -> int:
        import ray

        return int(ray.cluster_resources().get("CPU", 1))

    def _start_head(self) -> str:
        ensure_ray_token()
        port = _free_port()
        argv = [sys.executable, "-m", "orchestrator.ray_cluster", str(port)]
        if self.num_cpus is not None:
            argv.append(str(self.num_cpus))
        self.reaper = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                       start_new_session=True)
        assert self.reaper.stdout is not None
        ready, _, _ = select.select([self.reaper.stdout], [], [], BOOT_TIMEOUT_S)
        line = self.reaper.stdout.readline().strip() if ready else ""
        if line != READY:
            self.stop()
            raise RayClusterError(f"the local Ray head did not start: {line or 'no answer'}")
        return f"127.0.0.1:{port}"

    def stop(self) -> None:
        """Leave the cluster; a head this run started is stopped with every process of it."""
        if self._connected:
            import ray

            with contextlib.suppress(Exception):
                ray.shutdown()
            self._connected = False
        if self.reaper is not None:
            with contextlib.suppress(OSError):
                assert self.reaper.stdin is not None
                self.reaper.stdin.close()
            try:
                self.reaper.wait(timeout=3 * STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.reaper.kill()
                self.reaper.wait()
            self.reaper = None

    def __enter__(self) -> RayCluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _descendants() -> list[Any]:
    import psutil

    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _stop_descendants() -> None:
    """SIGTERM every descendant, wait, SIGKILL the rest, reap; again until none is left."""
    import psutil

    for sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGKILL):
        procs = _descendants()
        if not procs:
            return
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(sig)
        deadline = time.monotonic() + STOP_WAIT_S
        while (alive := _descendants()) and (left := deadline - time.monotonic()) > 0:
            psutil.wait_procs(alive, timeout=left)
            _reap_all()
        _reap_all()


def reaper_main(argv: list[str]) -> int:
    """Start a Ray head as our descendant, say ready, wait for stdin to close, then stop everything."""
    port = int(argv[0])
    temp_dir = tempfile.mkdtemp(prefix="ray-")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cmd = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", f"--port={port}",
           "--node-ip-address=127.0.0.1",
           f"--dashboard-agent-listen-port={_free_port()}",
           "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}"]
    if len(argv) > 1:
        cmd.append(f"--num-cpus={int(argv[1])}")
    env = {**START_PATIENCE_ENV, **ACTOR_NICENESS_ENV, **os.environ, **LOOPBACK_ENV}
    started = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    if started.returncode != 0:
        tail = (started.stderr or "").strip().splitlines()
        print(f"ray start failed: {tail[-1] if tail else started.returncode}", flush=True)
        _stop_descendants()
        shutil.rmtree(temp_dir, ignore_errors=True)
        return 1
    print(READY, flush=True)
    with contextlib.suppress(OSError):
        while sys.stdin.read(65536):
            pass
    _stop_descendants()
    shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(reaper_main(sys.argv[1:]))
