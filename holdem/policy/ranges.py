"""A policy's strategy over every hand at one situation: the 13x13 hold'em grid and a table per card bucket.

The situation is a seat, a betting history and a board. Every hole-card combination the board allows is
bucketed and read from the policy table; the grid averages the combinations of each hand class (pairs on the
diagonal, suited hands above it, offsuit below, aces first), the table averages the combinations of each
card bucket and names a few of them as examples. Actions are the real moves of the situation, merged where
several abstract actions play the same move, as ``holdem policy query`` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from holdem.abstraction.tree import DECISION
from holdem.cards import RANK_CHARS, CardError, format_cards, parse_cards
from holdem.engine.seat import SeatView
from holdem.policy.files import PolicyError
from holdem.policy.policy import STREET_NAMES, ActionOption, Policy
from holdem.showdown import hand_rank

GRID_RANKS = 13
EXAMPLES_PER_BUCKET = 4


@dataclass(frozen=True, slots=True)
class BucketRow:
    """One card bucket at the situation: its action probabilities, how many combinations fall in it, examples."""

    bucket: int
    probabilities: tuple[float, ...]
    combos: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class RangeView:
    """The strategy of every hand at one situation.

    ``grid[row, col]`` holds the action probabilities of a hand class (row and column 0 are aces) averaged
    over its possible combinations, NaN where the board leaves none; ``grid_combos`` counts them. The grid is
    empty (shape ``(0, 0, A)``) for games that do not deal two hole cards from a 13-rank deck.
    """

    title: str
    street: str
    board: str
    actions: tuple[ActionOption, ...]
    grid: np.ndarray
    grid_combos: np.ndarray
    buckets: tuple[BucketRow, ...]
    overall: tuple[float, ...]


def class_name(row: int, col: int) -> str:
    """``AA``, ``AKs`` (above the diagonal) or ``AKo`` (below) for a grid cell; row and column 0 are aces."""
    high, low = RANK_CHARS[GRID_RANKS - 1 - min(row, col)], RANK_CHARS[GRID_RANKS - 1 - max(row, col)]
    if row == col:
        return high + low
    return f"{high}{low}{'s' if row < col else 'o'}"


def grid_cell(cards: tuple[int, ...]) -> tuple[int, int]:
    """The grid cell (row, column) of two hole cards."""
    high, low = sorted((cards[0] >> 2, cards[1] >> 2), reverse=True)
    first, second = GRID_RANKS - 1 - high, GRID_RANKS - 1 - low
    if high == low:
        return first, first
    if cards[0] & 3 == cards[1] & 3:
        return first, second
    return second, first


def range_view(policy: Policy, seat: int, history: str = "", board: str | list[int] = "") -> RangeView:
    """The policy's strategy for every hand ``seat`` may hold after ``history`` on ``board``."""
    game = policy.game
    board_cards = list(board) if not isinstance(board, str) else _board(board)
    free = [c for c in game.deck if c not in board_cards]
    if len(free) < game.num_hole_cards:
        raise PolicyError("the board leaves no hole cards to deal")
    probe = free[: game.num_hole_cards]
    decision = policy.action_probabilities(seat, probe, board_cards, history)
    if decision.fallback:
        raise PolicyError(f"the abstract tree cannot follow {history!r} (it stops at "
                          f"{decision.abstract_history!r}): there is no strategy to show")
    node = decision.node
    assert int(policy.tree.kind[node]) == DECISION
    state = policy.state(seat, probe, board_cards, history)
    located = policy.locate(state.history_acpc())
    moves, _ = policy.moves(SeatView(state, seat), located)
    column = [next(i for i, option in enumerate(decision.actions) if option.move == move) for move in moves]
    num_actions = len(decision.actions)

    def merged(bucket: int) -> np.ndarray:
        out = np.zeros(num_actions)
        np.add.at(out, column, policy.row(node, bucket).astype(np.float64))
        return out

    street = decision.street
    two_card_grid = game.num_hole_cards == 2 and game.num_ranks == GRID_RANKS
    grid = np.zeros((GRID_RANKS, GRID_RANKS, num_actions) if two_card_grid else (0, 0, num_actions))
    grid_combos = np.zeros(grid.shape[:2], dtype=np.int64)
    by_bucket: dict[int, list[tuple[int, ...]]] = {}
    rows: dict[int, np.ndarray] = {}
    total = np.zeros(num_actions)
    for hole in combinations(free, game.num_hole_cards):
        bucket = policy.bucket(street, list(hole) + board_cards)
        row = rows.get(bucket)
        if row is None:
            row = rows[bucket] = merged(bucket)
        by_bucket.setdefault(bucket, []).append(hole)
        total += row
        if two_card_grid:
            cell = grid_cell(hole)
            grid[cell] += row
            grid_combos[cell] += 1
    with np.errstate(invalid="ignore"):
        grid /= grid_combos[..., None]
    count = sum(len(h) for h in by_bucket.values())
    buckets = tuple(BucketRow(b, tuple(float(p) for p in rows[b]), len(hands), _examples(hands, board_cards))
                    for b, hands in sorted(by_bucket.items()))
    name = STREET_NAMES[street] if game.num_rounds == 4 else f"round {street + 1}"
    title = (f"{game.name}: seat {seat} to act {name}, history {decision.history or '(none)'}"
             + (f" (abstract {decision.abstract_history})" if decision.translated else ""))
    return RangeView(title=title, street=name, board=format_cards(board_cards) if board_cards else "",
                     actions=decision.actions, grid=grid, grid_combos=grid_combos, buckets=buckets,
                     overall=tuple(float(x) for x in total / count))


def _board(text: str) -> list[int]:
    try:
        return parse_cards(text)
    except CardError as exc:
        raise PolicyError(f"board: {str(exc).splitlines()[0]}") from None


def _examples(hands: list[tuple[int, ...]], board: list[int]) -> tuple[str, ...]:
    """A few combinations of a bucket, from its strongest to its weakest at showdown on this board."""
    ranked = sorted(hands, key=lambda h: (hand_rank(list(h) + board), h), reverse=True)
    if len(ranked) <= EXAMPLES_PER_BUCKET:
        picks = ranked
    else:
        step = (len(ranked) - 1) / (EXAMPLES_PER_BUCKET - 1)
        picks = [ranked[round(i * step)] for i in range(EXAMPLES_PER_BUCKET)]
    return tuple(format_cards(h, sep="") for h in picks)
