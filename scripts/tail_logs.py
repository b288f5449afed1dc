"""Follow a training run's ``events.jsonl`` and show a live view: totals, per-worker speed and CPU, errors.

Survives rotation and truncation of the file (reopens on a new inode or a shrink), waits for it to appear,
and stops at ``run_end`` unless ``--follow-forever``. ``--once`` summarises the file so far and exits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from holdem.runlog.follow import LineFollower, decode_event, resolve_events_path
from holdem.runlog.render import Style, event_line, status_line, summary_lines, table_header, table_row
from holdem.runlog.view import EventFilter, RunView, error_text, num

NOTABLE_EVENTS = {"run_start", "start", "checkpoint", "snapshot", "signal", "stop_requested", "stop_forced",
                  "draining", "slot_retired", "blueprint", "run_end", "requeue"}


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


class Tail:
    """Prints what ``args`` asks for from a followed event file; the run's view is folded along the way."""

    def __init__(self, args: argparse.Namespace, out: IO[str], clock: Callable[[], float] = time.time) -> None:
        self.args = args
        self.out = out
        self.clock = clock
        self.view = RunView()
        self.filter = EventFilter(frozenset(args.event or ()), args.worker)
        self.tty = out.isatty() if not args.no_tty else False
        self.style = Style(self.tty and not os.environ.get("NO_COLOR"))
        self._status_shown = False
        self._last_row_ts: float | None = None
        self._rows = 0

    def write(self, text: str) -> None:
        if self._status_shown:
            self.out.write("\r\033[K")
            self._status_shown = False
        self.out.write(text + "\n")

    def feed(self, lines: list[str]) -> bool:
        """Handle new lines; returns True once ``run_end`` has been seen (and it is time to stop)."""
        ended = False
        for raw in lines:
            ev = decode_event(raw)
            if ev is None:
                self.view.bad_lines += 1
                continue
            self.view.apply(ev)
            if ev.get("event") == "run_end":
                ended = True
            elif ev.get("event") == "run_start":
                ended = False
            if self.args.json:
                if self.filter.matches(ev):
                    self.write(raw)
                continue
            if self.args.once:
                if self.filter.active and self.filter.matches(ev):
                    self.write(event_line(ev, self.style))
                continue
            self._live(ev)
        if not self.args.json and not self.args.once and self.tty and self.view.events:
            self.out.write("\r\033[K" + status_line(self.view, self.clock(), self.args.worker))
            self._status_shown = True
        self.out.flush()
        return ended

    def _live(self, ev: dict[str, Any]) -> None:
        name = ev.get("event")
        if self.filter.active:
            if self.filter.matches(ev) and name != "progress":
                self.write(event_line(ev, self.style))
        elif name in NOTABLE_EVENTS or error_text(ev) is not None:
            self.write(event_line(ev, self.style))
        if self.tty or name != "progress" or "iterations" not in ev:
            return
        ts = num(ev.get("ts")) or self.clock()
        if self._last_row_ts is not None and ts - self._last_row_ts < self.args.every:
            return
        if self._rows % 20 == 0:
            self.write(table_header())
        self._rows += 1
        self._last_row_ts = ts
        self.write(table_row(self.view, self.clock(), self.args.worker))

    def finish(self) -> None:
        """Close the live line; the closing summary unless passing JSON through."""
        if self._status_shown:
            self.out.write("\n")
            self._status_shown = False
        if not self.args.json:
            for line in summary_lines(self.view, self.clock(), self.args.worker, self.style):
                self.out.write(line + "\n")
        self.out.flush()


def follow(args: argparse.Namespace, out: IO[str], sleep: Callable[[float], None] = time.sleep) -> int:
    """Run the tail until ``run_end`` (or forever / once); returns the exit status."""
    path = resolve_events_path(args.logdir)
    follower = LineFollower(path)
    tail = Tail(args, out)
    try:
        if args.once:
            if not path.is_file():
                raise UsageError(f"no event file at {path}")
            tail.feed(follower.poll())
            tail.finish()
            return 0
        if not follower.exists():
            print(f"waiting for {path} ...", file=sys.stderr, flush=True)
        while True:
            lines = follower.poll()
            if lines and tail.feed(lines) and not args.follow_forever:
                tail.finish()
                return 0
            sleep(args.poll)
    except KeyboardInterrupt:
        tail.finish()
        return 130
    finally:
        follower.close()


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="tail_logs.py", description=__doc__)
    parser.add_argument("logdir", help="run directory (or an events .jsonl file)")
    parser.add_argument("--json", action="store_true", help="print matching events as raw JSON lines")
    parser.add_argument("--event", action="append", metavar="NAME",
                        help="show only these events (repeat, or comma-separated)")
    parser.add_argument("--worker", type=int, metavar="N", help="show only events of worker id N")
    parser.add_argument("--once", action="store_true", help="summarise the file so far and exit")
    parser.add_argument("--follow-forever", action="store_true", help="keep following after run_end")
    parser.add_argument("--poll", type=float, default=0.25, metavar="S", help="seconds between file polls")
    parser.add_argument("--every", type=float, default=5.0, metavar="S",
                        help="seconds between table rows when output is not a terminal")
    parser.add_argument("--no-tty", action="store_true", help="table rows instead of a refreshed line")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.event:
        args.event = [name for item in args.event for name in item.split(",") if name.strip()]
    if not 0.01 <= args.poll <= 60:
        parser.error(f"--poll must be between 0.01 and 60 seconds, got {args.poll}")
    if args.every < 0:
        parser.error(f"--every must not be negative, got {args.every}")
    if args.worker is not None and args.worker < 0:
        parser.error(f"--worker must be a worker id (0 or more), got {args.worker}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return follow(args, sys.stdout)
    except UsageError as exc:
        print(f"tail_logs.py: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
