"""Duplicate matches: each deal is replayed with the hero in every seat.

A duplicate group is one deal (hole cards per seat and the board) played ``num_players`` times, the hero
sitting in seat ``r`` in hand ``r`` and the opponent agent in every other seat, so card luck cancels in
the group's total. Groups are cut into fixed chunks, each seeded from ``(seed, chunk index)``, so results
depend on the seed only, never on how many worker processes ran the chunks.

Heads-up pairings of compiled agents (baselines, policies, local best response) play in the compiled match
(:mod:`holdem.evaluation.compiled_match`); any other pairing plays through the rules engine, which also
stays the oracle the compiled match is tested against.
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
from holdem.evaluation.compiled_match import CompiledMatch, MatchSetupError
from holdem.evaluation.lbr import LocalBestResponse
from holdem.evaluation.progress import ProgressBar
from holdem.evaluation.stats import WinRate, win_rate
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
ENGINES = ("auto", "compiled", "rules")


def _init_worker(game: GameDef, hero: Agent, opponent: Agent, seed: int, engine: str, variance: str) -> None:
    compiled = None
    if engine != "rules":
        compiled = CompiledMatch.build(game, hero, opponent, variance=variance)
    _WORKER.update(game=game, hero=hero, opponent=opponent, seed=seed, compiled=compiled)


def _run_chunk(chunk: int, num_groups: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Hero results per group (estimate, plain chips) and per hero seat for ``num_groups`` groups of ``chunk``."""
    compiled: CompiledMatch | None = _WORKER["compiled"]
    if compiled is not None:
        result = compiled.run(_WORKER["seed"], chunk, num_groups)
        if result.illegal >= 0:
            seat = result.illegal % 2
            raise AgentError(f"an agent made an illegal move in hand {result.illegal} of chunk {chunk} "
                             f"(hero {_WORKER['hero'].name!r} in seat {seat})")
        return chunk, result.estimates, result.seat_estimates, result.chips
    game, hero, opponent = _WORKER["game"], _WORKER["hero"], _WORKER["opponent"]
    rng = np.random.default_rng([_WORKER["seed"], chunk])
    n = game.num_players
    group_chips = np.zeros(num_groups, dtype=np.int64)
    seat_chips = np.zeros(n, dtype=np.float64)
    for g in range(num_groups):
        rows = play_duplicate_group(game, hero, opponent, rng)
        total = 0
        for hero_seat in range(n):
            won = rows[hero_seat][hero_seat]
            seat_chips[hero_seat] += won
            total += won
        group_chips[g] = total
    return chunk, group_chips.astype(np.float64), seat_chips, group_chips


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class MatchResult:
    """Outcome for the hero: win rate in milli-units per hand (mbb with blinds) and its 95% interval.

    With variance reduction the rate is over each hand's unbiased estimate; ``plain`` holds the plain
    duplicate rate of the same hands (their dealt chips) for comparison.
    """

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
    engine: str = "rules"
    variance: str = "none"
    plain: WinRate | None = None

    @property
    def hands_per_second(self) -> float:
        return self.hands / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        """Plain data for the JSON report (``mbb_per_hand``, ``ci95`` and ``hands`` among others)."""
        report = {
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
            "engine": self.engine,
            "variance_reduction": self.variance,
        }
        if self.plain is not None:
            report["plain_duplicate"] = {"mbb_per_hand": self.plain.mean, "ci95": list(self.plain.ci95),
                                         "stderr_mbb": self.plain.stderr}
            report["variance_ratio"] = (self.stderr / self.plain.stderr) ** 2 if self.plain.stderr > 0 else None
        return report


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
              progress: bool = False, engine: str = "auto", variance: str = "none") -> MatchResult:
    """Play ``hands`` hands (rounded up to whole duplicate groups) of ``hero`` against ``opponent``.

    ``engine`` picks the compiled heads-up match (``compiled``), the rules engine (``rules``) or the compiled
    one whenever both agents have a compiled form (``auto``); local best response and ``variance`` reduction
    (``allin``, ``aivat``) need the compiled match. ``workers`` processes share the chunks (1 runs in this
    process); the result is the same for any count. Workers are spawned, not forked: a parent that ran
    numba's OpenMP threads (loading a policy can) cannot fork. ``progress`` draws a bar on stderr.
    """
    groups = groups_for(game, hands)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    compiled = None if engine == "rules" else CompiledMatch.build(game, hero, opponent, variance=variance)
    if compiled is None:
        if engine == "compiled":
            raise MatchSetupError(f"no compiled match for {hero.name} against {opponent.name} on {game.name}: "
                                  "it is heads-up, with baselines, policies and lbr only")
        if variance != "none":
            raise MatchSetupError("variance reduction needs the compiled heads-up match")
        if isinstance(hero, LocalBestResponse) or isinstance(opponent, LocalBestResponse):
            raise MatchSetupError("local best response plays only in the compiled heads-up match")
    n = game.num_players
    chunks = [(c, min(GROUPS_PER_CHUNK, groups - c * GROUPS_PER_CHUNK))
              for c in range(math.ceil(groups / GROUPS_PER_CHUNK))]
    workers = min(workers, len(chunks))
    bar = ProgressBar(groups * n, label=f"{hero.name} vs {opponent.name}") if progress else None
    group_values = np.zeros(groups, dtype=np.float64)
    group_chips = np.zeros(groups, dtype=np.int64)
    seat_values = np.zeros(n, dtype=np.float64)
    done = 0
    mode = "rules" if compiled is None else "compiled"
    start = time.perf_counter()

    def collect(chunk: int, values: np.ndarray, by_seat: np.ndarray, chips: np.ndarray) -> None:
        nonlocal done
        first = chunk * GROUPS_PER_CHUNK
        group_values[first:first + values.size] = values
        group_chips[first:first + chips.size] = chips
        seat_values[:] += by_seat
        done += values.size * n
        if bar is not None:
            bar.update(done)

    initargs = (game, hero, opponent, seed, mode, variance)
    if workers == 1:
        _WORKER.update(game=game, hero=hero, opponent=opponent, seed=seed, compiled=compiled)
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
    rate = win_rate(group_values, n, unit_chips)
    plain = win_rate(group_chips, n, unit_chips) if variance != "none" else None
    by_seat = tuple(float(c) * 1000.0 / (groups * unit_chips) for c in seat_values)
    return MatchResult(
        game=game.name, hero=hero.name, opponent=opponent.name, seats=n, hands=groups * n, groups=groups,
        unit=unit, unit_chips=unit_chips, mbb_per_hand=rate.mean, ci95=rate.ci95, stderr=rate.stderr,
        mbb_by_hero_seat=by_seat, seed=seed, workers=workers, elapsed_s=elapsed, group_chips=group_values,
        engine=mode, variance=variance, plain=plain,
    )
