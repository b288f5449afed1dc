"""Small pieces the evaluation commands share: counting flags and writing a JSON report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def parse_count(text: str, what: str, minimum: int) -> int:
    """An integer flag (``_`` separators allowed) of at least ``minimum``; ValueError with one line otherwise."""
    try:
        value = int(str(text).replace("_", ""))
    except ValueError:
        raise ValueError(f"{what} must be an integer, got {text!r}") from None
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value}")
    return value


def write_json(path: Path, report: dict[str, Any], command: str = "holdem eval") -> bool:
    """Write a report; a failure prints one line and returns False."""
    try:
        path.write_text(json.dumps(report, indent=2) + "\n")
    except OSError as exc:
        print(f"{command}: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True
