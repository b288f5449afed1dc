"""A trained policy seated at a table: real histories translated onto its tree, raises played as pot shares.

The agent pickles as its path (plus any probability table that replaces the file's), so a process pool
ships it cheaply; each process loads the policy on first use. Off-menu bets are translated with a draw
seeded once per hand and seat (one agent may fill several seats), so a hand's history maps the same way
at every later decision of that seat.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from holdem.engine.seat import Move, SeatView
from holdem.evaluation.agents import StrategyAgent
from holdem.evaluation.kernel_agents import MAX_OPTIONS, KernelAgent, policy_agent
from holdem.evaluation.tree_walk import policy_data
from holdem.games import GameDef
from holdem.policy import Policy

_SALT_BOUND = 1 << 62


class BlueprintAgent(StrategyAgent):
    """Plays a policy file or run directory; ``probabilities`` may replace its table (same tree)."""

    def __init__(self, path: str | Path, game: GameDef, *, name: str | None = None,
                 buckets: str | Path | None = None, probabilities: np.ndarray | None = None,
                 policy: Policy | None = None) -> None:
        self.path = Path(path)
        self.game = game
        self.buckets = buckets
        self.name = name or self.path.name
        self.override = probabilities
        self._policy = policy
        self._kernel: KernelAgent | None = None
        self._hands: dict[int, tuple[SeatView, int]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "game": self.game, "buckets": self.buckets, "name": self.name,
                "override": self.override}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["game"], name=state["name"], buckets=state["buckets"],
                      probabilities=state["override"])

    @property
    def policy(self) -> Policy:
        """The loaded policy (loaded and validated on first use in each process)."""
        if self._policy is None:
            policy = Policy.load(self.path, game=self.game, buckets=self.buckets)
            if self.override is not None:
                if self.override.shape != policy.probabilities.shape:
                    raise ValueError(f"replacement table {self.override.shape} does not fit {self.path}")
                policy.probabilities = self.override
            self._policy = policy
        return self._policy

    def kernel_agent(self, game: GameDef) -> KernelAgent | None:
        """The policy as the compiled match plays it (its tree, table and buckets), built once."""
        if self._kernel is None:
            policy = self.policy
            if policy.game != game or policy.tree.max_actions > MAX_OPTIONS:
                return None
            self._kernel = policy_agent(policy_data(policy))
        return self._kernel

    def _stacks(self, view: SeatView) -> tuple[int, ...] | None:
        stacks = view.starting_stacks
        return None if stacks == self.game.stack else stacks

    def action_probabilities(self, view: SeatView) -> Sequence[tuple[Move, float]]:
        """The policy's moves, with an off-menu bet mapped to its likelier abstract size."""
        stacks = self._stacks(view)
        located = self.policy.locate(view.history_acpc(), stacks=stacks)
        merged: dict[Move, float] = {}
        for move, p in zip(*self.policy.moves(view, located, stacks=stacks)):
            merged[move] = merged.get(move, 0.0) + p
        return list(merged.items())

    def act(self, view: SeatView, rng: np.random.Generator) -> Move:
        hand = self._hands.get(view.seat)
        if hand is None or hand[0] is not view:
            hand = self._hands[view.seat] = (view, int(rng.integers(_SALT_BOUND)))
        policy = self.policy
        stacks = self._stacks(view)
        located = policy.locate(view.history_acpc(), stacks=stacks, seed=hand[1])
        moves, probs = policy.moves(view, located, stacks=stacks)
        if len(moves) == 1:
            return moves[0]
        u = rng.random()
        for move, p in zip(moves, probs):
            u -= p
            if u < 0:
                return move
        return moves[-1]
