"""How a training ended, as ``train()`` returns it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunOutcome:
    """How a training ended: iterations applied, training seconds, why it stopped, and what it wrote.

    ``signal`` names the signal that stopped it (SIGINT, SIGTERM), if one did: the command exits 130 or 143.
    """

    iterations: int
    seconds: float
    reason: str
    blueprint: Path
    checkpoint: Path | None
    exploitability: float | None
    restarts: int
    error: str | None
    signal: str | None = None
