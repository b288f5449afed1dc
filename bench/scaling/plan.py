"""What the scaling benchmark runs: one launch per (design, game, workers, batch size), in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.scaling import SWEEP_BATCHES


@dataclass
class Launch:
    """What to run: design (inprocess | supervisor | baseline), game, workers, batch size."""

    design: str
    game: str
    workers: int
    batch: str = "auto"
    kill_at: float | None = None

    @property
    def name(self) -> str:
        kill = "-kill" if self.kill_at is not None else ""
        return f"{self.game}-{self.design}-w{self.workers}-b{self.batch}{kill}"


def plan(games: Sequence[str], cores: int, quick: bool) -> list[Launch]:
    """Runs in order, ours and the baseline back to back so they share the machine's mood."""
    runs: list[Launch] = []
    counts = sorted({1, 2, cores}) if not quick else sorted({1, cores})
    for i, game in enumerate(games):
        if not quick:
            runs.append(Launch("inprocess", game, 1))
        for n in counts:
            runs.append(Launch("supervisor", game, n))
            if not quick or n == cores:
                runs.append(Launch("baseline", game, n))
        if not quick or i == 0:
            runs.append(Launch("supervisor", game, 2 * cores))
    for game in games[:1] if quick else games:
        sizes = SWEEP_BATCHES[game]
        for size in (sizes[::2] if quick else sizes):
            runs.append(Launch("supervisor", game, cores, str(size)))
            runs.append(Launch("baseline", game, cores, str(size)))
    sweep_game = games[0]
    runs.append(Launch("supervisor", sweep_game, cores, kill_at=0.5))
    runs.append(Launch("baseline", sweep_game, cores, kill_at=0.5))
    return runs
