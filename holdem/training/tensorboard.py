"""TensorBoard scalars of a run's progress, written only when the optional ``tensorboard`` extra is
installed (``pip install -e '.[tensorboard]'``); events.jsonl always has the same figures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

SCALARS = ("it_per_s", "nodes_per_s", "exploitability", "table_fill", "batch_size", "restarts", "backpressure_s")


class TensorBoardLog:
    """Writes progress scalars under ``LOGDIR/tensorboard`` keyed by iterations applied."""

    def __init__(self, logdir: Path) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._event, self._summary = Event, Summary
        self.directory = Path(logdir) / "tensorboard"
        self._writer = EventFileWriter(str(self.directory))

    @staticmethod
    def available() -> bool:
        try:
            import tensorboard.summary.writer.event_file_writer  # noqa: F401
        except ImportError:
            return False
        return True

    def __call__(self, fields: dict[str, Any]) -> None:
        values = [self._summary.Value(tag=f"train/{name}", simple_value=float(fields[name]))
                  for name in SCALARS if isinstance(fields.get(name), int | float)]
        lag = fields.get("loop_lag") or {}
        if isinstance(lag.get("p99_ms"), int | float):
            values.append(self._summary.Value(tag="supervisor/loop_lag_p99_ms", simple_value=float(lag["p99_ms"])))
        event = self._event(wall_time=time.time(), step=int(fields["iterations"]),
                            summary=self._summary(value=values))
        self._writer.add_event(event)

    def close(self) -> None:
        self._writer.close()
