"""Duplicate matches through the rules engine: each deal is replayed with the hero in every seat.

A duplicate group is one deal (hole cards per seat and the board) played ``num_players`` times, the hero
sitting in seat ``r`` in hand ``r`` and the opponent agent in every other seat, so card luck cancels in
the group's total. Groups are cut into fixed chunks, each seeded from ``(seed, chunk index)``, so results
depend on the seed only, never on how many worker processes ran the chunks.
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import multiprocessing
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from holdem.engine import ActionKind, HandState, IllegalActionError
from holdem.engine.seat import SeatView
from holdem.evaluation.agents import Agent
from holdem.evaluation.progress import ProgressBar
from holdem.evaluation.stats import win_rate
from holdem.games import GameDef, chip_unit

GROUPS_PER_CHUNK = 200

_CALL = ActionKind.CHECK_OR_CALL
_RAISE = ActionKind.BET_OR_RAISE


class AgentError(RuntimeError):
    """An agent returned a move the rules refuse."""


def play_hand(game: GameDef, agents: Sequence[Agent], hole_cards: Sequence[Sequence[int]],
              board: Sequence[int], rng: np.random.Generator) -> tuple[int, ...]:
    """Play one hand with ``agents[s]`` in seat ``s``; returns each seat's payoff in chips."""
    state = HandState(game=game, hole_cards=hole_cards, board=board)
    views = [SeatView(state, s) for s in range(game.num_players)]
    check_or_call, bet_or_raise, fold = state.check_or_call, state.bet_or_raise, state.fold
    seat = state.actor
    while seat is not None:
        move = agents[seat].act(views[seat], rng)
        kind = move.kind
        try:
            if kind is _CALL:
                check_or_call()
            elif kind is _RAISE:
                bet_or_raise(move.to)
            else:
                fold()
        except IllegalActionError as exc:
            raise AgentError(f"agent {agents[seat].name!r} in seat {seat}: {exc}") from None
        seat = state.actor
    return state.payoffs()


@functools.lru_cache(maxsize=16)
def _deck_array(game: GameDef) -> np.ndarray:
    return np.asarray(game.deck, dtype=np.int64)


def deal(game: GameDef, rng: np.random.Generator) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
    """Hole cards for every seat and the whole board runout, drawn from the game's deck."""
    n, k = game.num_players, game.num_hole_cards
    cards = rng.permutation(_deck_array(game))[: n * k + game.total_board_cards].tolist()
    return [tuple(cards[s * k:(s + 1) * k]) for s in range(n)], tuple(cards[n * k:])


def play_duplicate_group(game: GameDef, hero: Agent, opponent: Agent,
                         rng: np.random.Generator) -> list[tuple[int, ...]]:
    """One deal played once per hero seat: row ``r`` holds every seat's payoff with the hero in seat ``r``."""
    holes, board = deal(game, rng)
    n = game.num_players
    rows = []
    for hero_seat in range(n):
        agents = [opponent] * n
        agents[hero_seat] = hero
        rows.append(play_hand(game, agents, holes, board, rng))
    return rows


_WORKER: dict[str, Any] = {}


def _init_worker(game: GameDef, hero: Agent, opponent: Agent, seed: int) -> None:
    _WORKER.update(game=game, hero=hero, opponent=opponent, seed=seed)


def _run_chunk(chunk: int, num_groups: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Hero chips per group and per hero seat for ``num_groups`` groups of chunk ``chunk``."""
    game, hero, opponent = _WORKER["game"], _WORKER["hero"], _WORKER["opponent"]
    rng = np.random.default_rng([_WORKER["seed"], chunk])
    n = game.num_players
    group_chips = np.zeros(num_groups, dtype=np.int64)
    seat_chips = np.zeros(n, dtype=np.int64)
    for g in range(num_groups):
        rows = play_duplicate_group(game, hero, opponent, rng)
        total = 0
        for hero_seat in range(n):
            won = rows[hero_seat][hero_seat]
            seat_chips[hero_seat] += won
            total += won
        group_chips[g] = total
    return chunk, group_chips, seat_chips


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class MatchResult:
    """Outcome for the hero: win rate in milli-units per hand (mbb with blinds) and its 95% interval."""

    game: str
    hero: str
    opponent: str
    seats: int
    hands: int
    groups: int
    unit: str
    unit_chips: int
    mbb_per_hand: float
    ci95: tuple[float, float]
    stderr: float
    mbb_by_hero_seat: tuple[float, ...]
    seed: int
    workers: int
    elapsed_s: float
    group_chips: np.ndarray = field(repr=False, compare=False)

    @property
    def hands_per_second(self) -> float:
        return self.hands / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        """Plain data for the JSON report (``mbb_per_hand``, ``ci95`` and ``hands`` among others)."""
        return {
            "game": self.game,
            "hero": self.hero,
            "opponent": self.opponent,
            "seats": self.seats,
            "hands": self.hands,
            "duplicate_groups": self.groups,
            "unit": self.unit,
            "unit_chips": self.unit_chips,
            "mbb_per_hand": self.mbb_per_hand,
            "ci95": list(self.ci95),
            "stderr_mbb": self.stderr,
            "mbb_by_hero_seat": list(self.mbb_by_hero_seat),
            "seed": self.seed,
            "workers": self.workers,
            "elapsed_s": self.elapsed_s,
            "hands_per_s": self.hands_per_second,
        }


def groups_for(game: GameDef, hands: int) -> int:
    """Duplicate groups covering at least ``hands`` hands; at least two are needed for an interval."""
    if isinstance(hands, bool) or not isinstance(hands, int) or hands < 1:
        raise ValueError(f"hands must be a positive integer, got {hands!r}")
    n = game.num_players
    groups = math.ceil(hands / n)
    if groups < 2:
        raise ValueError(f"{game.name}: at least {2 * n} hands (two duplicate groups of {n}) are needed "
                         f"for a confidence interval, got {hands}")
    return groups


def run_match(game: GameDef, hero: Agent, opponent: Agent, *, hands: int, seed: int = 0, workers: int = 1,
              progress: bool = False) -> MatchResult:
    """Play ``hands`` hands (rounded up to whole duplicate groups) of ``hero`` against ``opponent``.

    ``workers`` processes share the chunks (1 runs in this process); the result is the same for any count.
    Workers are spawned, not forked: a parent that ran numba's OpenMP threads (loading a policy can) cannot fork.
    ``progress`` draws a bar on stderr.
    """
    groups = groups_for(game, hands)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    n = game.num_players
    chunks = [(c, min(GROUPS_PER_CHUNK, groups - c * GROUPS_PER_CHUNK))
              for c in range(math.ceil(groups / GROUPS_PER_CHUNK))]
    workers = min(workers, len(chunks))
    bar = ProgressBar(groups * n, label=f"{hero.name} vs {opponent.name}") if progress else None
    group_chips = np.zeros(groups, dtype=np.int64)
    seat_chips = np.zeros(n, dtype=np.int64)
    done = 0
    start = time.perf_counter()

    def collect(chunk: int, chips: np.ndarray, by_seat: np.ndarray) -> None:
        nonlocal done
        first = chunk * GROUPS_PER_CHUNK
        group_chips[first:first + chips.size] = chips
        seat_chips[:] += by_seat
        done += chips.size * n
        if bar is not None:
            bar.update(done)

    initargs = (game, hero, opponent, seed)
    if workers == 1:
        _init_worker(*initargs)
        for chunk, size in chunks:
            collect(*_run_chunk(chunk, size))
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                                    initargs=initargs) as pool:
            futures = [pool.submit(_run_chunk, chunk, size) for chunk, size in chunks]
            for future in concurrent.futures.as_completed(futures):
                collect(*future.result())
    elapsed = time.perf_counter() - start
    if bar is not None:
        bar.close()
    unit_chips, unit = chip_unit(game)
    rate = win_rate(group_chips, n, unit_chips)
    by_seat = tuple(float(c) * 1000.0 / (groups * unit_chips) for c in seat_chips)
    return MatchResult(
        game=game.name, hero=hero.name, opponent=opponent.name, seats=n, hands=groups * n, groups=groups,
        unit=unit, unit_chips=unit_chips, mbb_per_hand=rate.mean, ci95=rate.ci95, stderr=rate.stderr,
        mbb_by_hero_seat=by_seat, seed=seed, workers=workers, elapsed_s=elapsed, group_chips=group_chips,
    )

