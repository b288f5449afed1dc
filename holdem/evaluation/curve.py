"""Strength over training: every snapshot and checkpoint of a run against LBR and against the final blueprint.

A run keeps average-policy snapshots (``snapshots/policy-*.npz``) and checkpoints (``checkpoints/checkpoint-*.npz``,
whose strategy sums normalise to the average policy), and its final ``blueprint.npz``. Each point plays the
policy at that iteration count on the final blueprint's tree: local best response measures how exploitable it
is, and a duplicate match against the final blueprint shows whether more compute made a stronger bot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.evaluation.blueprint import BlueprintAgent
from holdem.evaluation.match import MatchResult, run_match
from holdem.evaluation.registry import load_agent
from holdem.fileformat import FileFormatError, load_arrays
from holdem.mccfr.tables import average_strategy
from holdem.policy import Policy, PolicyError

CHECKPOINT_KIND = "checkpoint"
_ITERATIONS = re.compile(r"-(\d+)\.npz$")


class CurveError(ValueError):
    """A run directory whose snapshots or checkpoints cannot be evaluated (one line)."""


@dataclass(frozen=True)
class CurvePoint:
    """One policy of the run: its iteration count, where it came from, and its two matches."""

    iterations: int
    source: str
    kind: str
    lbr: MatchResult
    head_to_head: MatchResult | None

    def to_json(self) -> dict[str, Any]:
        lbr_value = -self.lbr.mbb_per_hand
        low, high = self.lbr.ci95
        return {
            "iterations": self.iterations,
            "source": self.source,
            "kind": self.kind,
            "lbr_mbb_per_hand": lbr_value,
            "lbr_ci95": [-high, -low],
            "lbr_hands": self.lbr.hands,
            "lbr_match": self.lbr.to_json(),
            "vs_final_mbb_per_hand": None if self.head_to_head is None else self.head_to_head.mbb_per_hand,
            "vs_final_ci95": None if self.head_to_head is None else list(self.head_to_head.ci95),
            "vs_final_match": None if self.head_to_head is None else self.head_to_head.to_json(),
        }


def run_points(run_dir: Path) -> list[tuple[int, str, Path]]:
    """``(iterations, kind, file)`` of the run's snapshots, checkpoints and blueprint, one per iteration count.

    At equal counts the blueprint wins over a snapshot, and a snapshot over a checkpoint.
    """
    found: dict[int, tuple[int, str, Path]] = {}
    rank = {"checkpoint": 0, "snapshot": 1, "blueprint": 2}
    candidates = [(p, "snapshot") for p in sorted((run_dir / "snapshots").glob("policy-*.npz"))]
    candidates += [(p, "checkpoint") for p in sorted((run_dir / "checkpoints").glob("checkpoint-*.npz"))]
    for path, kind in candidates:
        match = _ITERATIONS.search(path.name)
        if match is None:
            continue
        its = int(match.group(1))
        if its not in found or rank[kind] > rank[found[its][1]]:
            found[its] = (its, kind, path)
    final = run_dir / "blueprint.npz"
    if final.is_file():
        try:
            its = int(Policy.load(final).meta.get("iterations", -1))
        except PolicyError as exc:
            raise CurveError(str(exc)) from None
        found[its] = (its, "blueprint", final)
    return [found[k] for k in sorted(found)]


def point_table(kind: str, path: Path, final: Policy) -> np.ndarray:
    """The average policy at a snapshot or checkpoint, as a table over the final blueprint's rows."""
    try:
        if kind == "checkpoint":
            arrays, meta = load_arrays(path, kind=CHECKPOINT_KIND)
            if meta.get("tree_hash") != final.meta.get("tree_hash"):
                raise CurveError(f"{path} was trained on another tree than {final.source}")
            table = average_strategy(arrays["strategy_sum"], final.num_actions)
        else:
            table = Policy.load(path, game=final.game).probabilities
    except (FileFormatError, PolicyError, KeyError) as exc:
        raise CurveError(f"{path}: {exc}") from None
    if table.shape != final.probabilities.shape:
        raise CurveError(f"{path}: table {table.shape} does not fit the blueprint's {final.probabilities.shape}")
    return np.ascontiguousarray(table, dtype=np.float32)


def strength_curve(run_dir: str | Path, *, lbr_spec: str = "lbr", hands: int, head_to_head_hands: int,
                   seed: int = 0, workers: int = 1, variance: str = "none", progress: bool = False,
                   on_point: Callable[[CurvePoint], None] | None = None) -> list[CurvePoint]:
    """Evaluate every snapshot, checkpoint and the blueprint of a run (``CurveError`` when it has none)."""
    run_dir = Path(run_dir)
    try:
        final = Policy.load(run_dir)
    except PolicyError as exc:
        raise CurveError(str(exc)) from None
    game = final.game
    points = run_points(run_dir)
    if not points:
        raise CurveError(f"{run_dir} has no snapshots, checkpoints or blueprint")
    final_agent = BlueprintAgent(final.source, game, name="final blueprint", policy=final)
    out = []
    for iterations, kind, path in points:
        table = final.probabilities if kind == "blueprint" else point_table(kind, path, final)
        agent = BlueprintAgent(final.source, game, name=f"{kind} @ {iterations:,} it", probabilities=table)
        lbr_result = run_match(game, agent, load_agent(lbr_spec, game), hands=hands, seed=seed, workers=workers,
                               progress=progress, variance=variance)
        versus = None
        if kind != "blueprint":
            versus = run_match(game, agent, final_agent, hands=head_to_head_hands, seed=seed, workers=workers,
                               progress=progress, variance=variance)
        point = CurvePoint(iterations, str(path), kind, lbr_result, versus)
        out.append(point)
        if on_point is not None:
            on_point(point)
    return out
