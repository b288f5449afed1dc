"""Benchmarks, run as ``python -m bench.<name>`` (``make bench`` runs them all), each writing
``bench/results/<name>.json``; ``bench.report`` turns those files into BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def write_result(out: Path, settings: dict[str, Any], **figures: Any) -> None:
    """Write a benchmark's JSON: the machine (cores, Python, load average at the end), its settings, its figures."""
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_avg_end": [round(x, 2) for x in os.getloadavg()]},
              "settings": settings, **figures}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
