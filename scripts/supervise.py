"""Launch a blueprint training through the supervisor, in the foreground or ``--detach``ed with a pid file.

Takes the options of ``python -m holdem.cli.train_blueprint``. ``LOGDIR/supervise.pid`` names the running
launcher (a second one for the same logdir is refused) and is removed when it exits; a detached run writes
its output to ``LOGDIR/supervise.log``. Follow it with ``scripts/tail_logs.py LOGDIR``; stop it with SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from holdem.cli.train_blueprint import add_arguments, config_from_args, run
from holdem.fileformat import FileFormatError
from holdem.games import GameDefError
from holdem.training.config import ConfigError

PID_FILE = "supervise.pid"
LOG_FILE = "supervise.log"
EVENTS_FILE = "events.jsonl"
STARTUP_WAIT_S = 30.0
STARTUP_POLL_S = 0.1
PROG = "supervise.py"


class LaunchError(Exception):
    """A launch that must not start; reported in one line with exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog=PROG, description=__doc__, allow_abbrev=False)
    add_arguments(parser)
    parser.add_argument("--detach", action="store_true",
                        help=f"run in the background: output to LOGDIR/{LOG_FILE}, pid in LOGDIR/{PID_FILE}")
    parser.add_argument("--detached-child", action="store_true", help=argparse.SUPPRESS)
    return parser


def _is_launcher(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process that looks like this launcher."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return any("supervise" in part for part in proc.cmdline())
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def live_owner(path: Path) -> int | None:
    """The pid a pid file names if that process is a live launcher; None for no file or a stale one."""
    pid = _read_pid(path)
    return pid if pid is not None and _is_launcher(pid) else None


def claim_pidfile(path: Path, pid: int) -> None:
    """Make ``path`` name ``pid``, refusing when it names another live launcher; stale files are replaced."""
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read_pid(path)
            if owner == pid:
                return
            if owner is not None and _is_launcher(owner):
                raise LaunchError(f"{path} names running launcher pid {owner}; stop it first (kill {owner})") from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{pid}\n")
        return
    raise LaunchError(f"cannot claim {path}: another launcher keeps replacing it")


def release_pidfile(path: Path, pid: int) -> None:
    """Remove the pid file if it still names ``pid``."""
    if _read_pid(path) == pid:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def check_launch(args: argparse.Namespace) -> Path:
    """Validate the config and the logdir before anything starts; returns the logdir."""
    try:
        config_from_args(args)
    except (ConfigError, GameDefError, FileFormatError, ValueError) as exc:
        raise LaunchError(str(exc).splitlines()[0]) from None
    logdir = Path(args.logdir)
    try:
        logdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LaunchError(f"cannot create logdir {logdir}: {exc.strerror}") from None
    if not os.access(logdir, os.W_OK):
        raise LaunchError(f"cannot write to logdir {logdir}")
    owner = live_owner(logdir / PID_FILE)
    if owner is not None and owner != os.getpid():
        raise LaunchError(f"{logdir / PID_FILE} names running launcher pid {owner}; stop it first (kill {owner})")
    return logdir


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_foreground(args: argparse.Namespace, logdir: Path) -> int:
    """Run the training here, holding the pid file; SIGTERM stops it like Ctrl-C (final checkpoint)."""
    pidfile = logdir / PID_FILE
    me = os.getpid()
    claim_pidfile(pidfile, me)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    status = 1
    try:
        status = run(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        release_pidfile(pidfile, me)
        if args.detached_child:
            _log_event("launcher_exit", pid=me, status=status)
    return status


def _log_event(event: str, **fields: Any) -> None:
    print(json.dumps({"ts": round(time.time(), 6), "event": event, **fields}), flush=True)


def _run_started(events: Path, offset: int) -> bool:
    """Whether ``run_start`` was appended to the event file past ``offset``."""
    try:
        with open(events, "rb") as fh:
            fh.seek(offset)
            return b'"event":"run_start"' in fh.read()
    except FileNotFoundError:
        return False


def detach(argv: Sequence[str], logdir: Path) -> int:
    """Re-run this script in a new session and wait until the run has started (or died); print how to follow it."""
    script = Path(__file__).resolve()
    child_argv = [sys.executable, str(script), *(a for a in argv if a != "--detach"), "--detached-child"]
    log_path, pidfile, events = logdir / LOG_FILE, logdir / PID_FILE, logdir / EVENTS_FILE
    offset = events.stat().st_size if events.is_file() else 0
    try:
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    except OSError as exc:
        raise LaunchError(f"cannot write {log_path}: {exc.strerror}") from None
    with log:
        record = {"ts": round(time.time(), 6), "event": "launch", "argv": child_argv, "cwd": os.getcwd()}
        log.write((json.dumps(record) + "\n").encode())
        log.flush()
        child = subprocess.Popen(child_argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True, close_fds=True)
    try:
        claim_pidfile(pidfile, child.pid)
    except LaunchError:
        child.terminate()
        child.wait()
        raise
    deadline = time.monotonic() + STARTUP_WAIT_S
    status = child.poll()
    while status is None and not _run_started(events, offset) and time.monotonic() < deadline:
        time.sleep(STARTUP_POLL_S)
        status = child.poll()
    if status not in (None, 0):
        release_pidfile(pidfile, child.pid)
        print(f"{PROG}: error: training pid {child.pid} exited with status {status}: {_last_error(log_path)}",
              file=sys.stderr)
        return status
    tail_cmd = shlex.join([sys.executable, str(script.with_name("tail_logs.py")), str(logdir)])
    state = "finished" if status == 0 else "started"
    print(f"{state} training pid {child.pid} (pid file {pidfile}, output {log_path})")
    print(f"follow: {tail_cmd}")
    if status is None:
        print(f"stop:   kill {child.pid}   (final checkpoint, then blueprint)")
    return 0


def _last_error(path: Path) -> str:
    """The last ``error:`` line of the child's output (else its last line)."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    lines = [line for line in lines if not line.startswith('{"ts"')]
    errors = [line for line in lines if "error:" in line]
    return (errors or lines or ["no output"])[-1]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        logdir = check_launch(args)
        if args.detach:
            return detach(argv, logdir)
        return run_foreground(args, logdir)
    except LaunchError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
