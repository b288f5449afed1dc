"""A trained blueprint at a table: card buckets, off-tree translation, and action probabilities in chips.

A policy is a table of action probabilities with one row per (abstract decision node, card bucket) of the
betting tree it was trained on (see :mod:`holdem.policy.files` for loading and checks). Queries map a real
history onto the tree with pseudo-harmonic translation and state each abstract action as real chips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction, bucket_of
from holdem.abstraction.tree import DECISION, EDGE_CALL, EDGE_FOLD, BettingTree
from holdem.cards import CardError, format_cards, parse_cards
from holdem.engine import HandState
from holdem.engine.seat import CHECK_OR_CALL, FOLD, Move, SeatView
from holdem.games import GameDef, chip_unit
from holdem.policy.files import PolicyError, PolicyParts, load_policy_parts, one_line, save_compact
from holdem.policy.translation import (
    TranslatedHistory,
    Translation,
    TranslationError,
    abstract_raise_fraction,
    translate_history,
)

STREET_NAMES = ("preflop", "flop", "turn", "river")
TRANSLATION_CACHE_LIMIT = 200_000
BUCKET_CACHE_LIMIT = 500_000


@dataclass(frozen=True, slots=True)
class ActionOption:
    """One real action the policy may take, with its probability and its size in chips and units.

    ``to`` is the seat's bet in this street after the action and ``total`` its chips in the hand (the
    ACPC amount); ``chips`` is what the action adds; ``units`` is ``to`` in big blinds (antes in games
    without blinds). ``abstract`` is the tree action it plays.
    """

    kind: str
    probability: float
    to: int
    total: int
    chips: int
    units: float
    all_in: bool
    acpc: str
    abstract: str
    move: Move


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's mixed action at a real situation and how that situation was mapped onto the tree."""

    seat: int
    street: int
    history: str
    abstract_history: str
    node: int
    bucket: int
    actions: tuple[ActionOption, ...]
    translations: tuple[Translation, ...]
    complete: bool
    unmapped: tuple[str, ...]
    unit: str

    @property
    def translated(self) -> bool:
        return bool(self.translations)

    @property
    def fallback(self) -> bool:
        """True when the tree could not follow the history and the answer is a plain check/call."""
        return not self.complete


class Policy:
    """A blueprint's probabilities over its betting tree and card abstraction, validated on load."""

    def __init__(self, *, game: GameDef, tree: BettingTree, abstraction: CardAbstraction,
                 probabilities: np.ndarray, num_actions: np.ndarray, meta: dict[str, Any], source: Path,
                 bits: int | None = None) -> None:
        self.game = game
        self.tree = tree
        self.abstraction = abstraction
        self.probabilities = probabilities
        self.num_actions = num_actions
        self.meta = meta
        self.source = source
        self.bits = bits
        self.unit_chips, self.unit = chip_unit(game)
        self._kernel_data = abstraction.kernel_data()
        self._street_cards = tuple(game.num_hole_cards + game.board_cards_before(r)
                                   for r in range(game.num_rounds))
        self._translations: dict[tuple[str, tuple[int, ...] | None], TranslatedHistory] = {}
        self._edges: dict[int, tuple[tuple[int, float], ...]] = {}
        self._node_moves: dict[int, tuple[Move, ...]] = {}
        self._buckets: dict[tuple[int, tuple[int, ...]], int] = {}

    # --- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, *, game: GameDef | None = None, buckets: str | Path | None = None
             ) -> Policy:
        """Load a run directory, a blueprint file or a compact policy file; ``PolicyError`` if unusable.

        ``game``, when given, must be the game the policy was trained for. ``buckets`` overrides where
        the bucket file is looked for (it must still have the hash the policy records).
        """
        parts = load_policy_parts(path, game=game, buckets=buckets)
        return cls(game=parts.game, tree=parts.tree, abstraction=parts.abstraction,
                   probabilities=parts.probabilities, num_actions=parts.num_actions, meta=parts.meta,
                   source=parts.source, bits=parts.bits)

    def export_compact(self, path: str | Path, bits: int = 8) -> str:
        """Write the policy quantised to ``bits`` (8 or 16) per entry; returns the file checksum."""
        parts = PolicyParts(self.game, self.tree, self.abstraction, self.probabilities, self.num_actions,
                            self.meta, self.source, self.bits)
        return save_compact(parts, path, bits)

    # --- lookups -------------------------------------------------------------------------------
    def bucket(self, street: int, cards: Sequence[int]) -> int:
        """Card bucket of hole cards followed by the board dealt so far."""
        return int(bucket_of(self._kernel_data, street, np.asarray(cards, dtype=np.int32),
                             self._street_cards[street]))

    def row(self, node: int, bucket: int) -> np.ndarray:
        """Probabilities over the children of decision ``node`` for a card bucket."""
        return self.probabilities[int(self.tree.row_offset[node]) + bucket, : int(self.tree.num_children[node])]

    def edges(self, node: int) -> tuple[tuple[int, float], ...]:
        """``(edge kind, pot fraction of a raise or 0)`` for each child of decision ``node``, cached."""
        edges = self._edges.get(node)
        if edges is None:
            tree = self.tree
            edges = tuple(
                (kind, abstract_raise_fraction(tree, node, child) if kind not in (EDGE_FOLD, EDGE_CALL) else 0.0)
                for child in tree.children(node) for kind in (int(tree.edge_kind[child]),)
            )
            self._edges[node] = edges
        return edges

    def locate(self, history: str, *, stacks: tuple[int, ...] | None = None, seed: int | None = None
               ) -> TranslatedHistory:
        """The abstract node of a real ACPC history; a two-way translation is drawn from ``seed``.

        Without a seed an off-menu size maps to the likelier abstract size. Results with no two-way choice
        are cached (the same for any seed), so replaying a known history costs a dictionary lookup.
        """
        key = (history, stacks)
        hit = self._translations.get(key)
        if hit is not None:
            return hit
        rng = None if seed is None else np.random.default_rng(seed)
        result = translate_history(self.tree, history, rng=rng, stacks=stacks)
        if all(t.probability == 1.0 for t in result.translations) and (
                len(self._translations) < TRANSLATION_CACHE_LIMIT):
            self._translations[key] = result
        return result

    def forget_translations(self) -> None:
        """Drop the cached translations (and the moves cached per node) so histories are walked again."""
        self._translations.clear()
        self._node_moves.clear()

    def real_moves(self, view: SeatView, node: int) -> tuple[Move, ...]:
        """The real move each child of decision ``node`` plays at ``view``, raises as shares of the real pot.

        A fold with no bet to face becomes a check, and a raise the real state does not allow a call.
        """
        moves = []
        for kind, fraction in self.edges(node):
            if kind == EDGE_FOLD:
                moves.append(FOLD if view.can_fold() else CHECK_OR_CALL)
            elif kind == EDGE_CALL or not view.can_raise():
                moves.append(CHECK_OR_CALL)
            else:
                moves.append(Move.raise_to(view.raise_to_pot_fraction(fraction)))
        return tuple(moves)

    def moves(self, view: SeatView, located: TranslatedHistory, *, stacks: tuple[int, ...] | None = None
              ) -> tuple[tuple[Move, ...], list[float]]:
        """Real moves (one per abstract child, possibly repeated) and their probabilities at ``view``.

        When the tree cannot follow the history the answer is a plain check/call.
        """
        node = located.node
        if not located.complete or int(self.tree.kind[node]) != DECISION:
            return (CHECK_OR_CALL,), [1.0]
        if located.translations or stacks is not None:
            real = self.real_moves(view, node)
        else:
            real = self._node_moves.get(node)
            if real is None:
                real = self._node_moves[node] = self.real_moves(view, node)
        cards = view.hole_cards + view.board
        key = (view.street, cards)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self.bucket(view.street, cards)
            if len(self._buckets) < BUCKET_CACHE_LIMIT:
                self._buckets[key] = bucket
        return real, self.row(node, bucket).tolist()

    # --- query ---------------------------------------------------------------------------------
    def state(self, seat: int, hole_cards: str | Sequence[int], board: str | Sequence[int] = "",
              history: str = "") -> HandState:
        """The real hand: ``seat`` holds ``hole_cards``, ``board`` is dealt, ``history`` was played.

        Raises PolicyError for a card that appears twice or is not in the deck, a wrong card count,
        an impossible history, or a seat that is not the one to act.
        """
        game = self.game
        if not 0 <= seat < game.num_players:
            raise PolicyError(f"seat {seat} does not exist: {game.name} seats 0..{game.num_players - 1}")
        holes: list[Sequence[int] | None] = [None] * game.num_players
        try:
            hole = _cards(hole_cards, "hole cards")
            board_cards = _cards(board, "board")
            both = hole + board_cards
            if len(set(both)) != len(both):
                twice = next(c for c in both if both.count(c) > 1)
                raise PolicyError(f"card {format_cards([twice])} appears twice in the hole cards and board")
            holes[seat] = hole
            given = len(board_cards)
            state = HandState(game=game, hole_cards=holes, board=board_cards, rng=np.random.default_rng(0))
        except (CardError, ValueError) as exc:
            raise PolicyError(one_line(exc)) from None
        try:
            state.apply_acpc_history(history)
        except ValueError as exc:
            raise PolicyError(f"impossible history {history!r}: {one_line(exc)}") from None
        if state.actor is None:
            raise PolicyError(f"the hand is over after {history!r}: nobody is to act")
        street = state.street
        want = game.board_cards_before(street)
        if given != want:
            name = STREET_NAMES[street] if game.num_rounds == 4 and street < 4 else f"round {street}"
            raise PolicyError(f"the history {history!r} is on the {name}, which shows {want} board "
                              f"card{'s' if want != 1 else ''}; {given} given")
        if state.actor != seat:
            raise PolicyError(f"seat {state.actor} is to act after {history!r}, not seat {seat}")
        return state

    def action_probabilities(self, seat: int, hole_cards: str | Sequence[int], board: str | Sequence[int] = "",
                             history: str = "", *, seed: int | None = None) -> Decision:
        """The policy's actions for ``seat`` holding ``hole_cards`` on ``board`` after an ACPC ``history``.

        Off-menu bets map pseudo-harmonically: to the likelier abstract size, or drawn from ``seed``.
        """
        state = self.state(seat, hole_cards, board, history)
        view = SeatView(state, seat)
        real_history = state.history_acpc()
        try:
            located = self.locate(real_history, seed=seed)
        except TranslationError as exc:
            raise PolicyError(one_line(exc)) from None
        complete = located.complete and int(self.tree.kind[located.node]) == DECISION
        bucket = self.bucket(state.street, view.hole_cards + view.board) if complete else -1
        children = list(self.tree.children(located.node)) if complete else []
        real, probs = self.moves(view, located)
        merged: dict[Move, float] = {}
        labels: dict[Move, list[str]] = {}
        for i, (move, p) in enumerate(zip(real, probs)):
            merged[move] = merged.get(move, 0.0) + p
            labels.setdefault(move, []).append(self.tree.label(children[i]) if children else "c")
        options = [self._option(state, seat, move, p, "+".join(labels[move])) for move, p in merged.items()]
        return Decision(seat=seat, street=state.street, history=real_history,
                        abstract_history=located.abstract_history, node=located.node, bucket=bucket,
                        actions=tuple(options), translations=located.translations, complete=complete,
                        unmapped=located.unmapped, unit=self.unit)

    def _option(self, state: HandState, seat: int, move: Move, p: float, label: str) -> ActionOption:
        bets = state.bets
        own = bets[seat]
        top = max(bets)
        before = state.contributions[seat] - own
        if move == FOLD:
            return ActionOption("fold", p, own, before + own, 0, own / self.unit_chips, False, "f", label, move)
        if move == CHECK_OR_CALL:
            to = min(top, own + state.stacks[seat])
            kind = "check" if to == own else "call"
            return ActionOption(kind, p, to, before + to, to - own, to / self.unit_chips,
                                to - own == state.stacks[seat] and to > own, "c", label, move)
        to = move.to
        kind = "raise" if top > 0 else "bet"
        return ActionOption(kind, p, to, before + to, to - own, to / self.unit_chips, to - own == state.stacks[seat],
                            f"r{before + to}", label, move)

    def describe(self) -> str:
        """One line: game, tree size, buckets, iterations and storage."""
        stored = f"{self.bits}-bit" if self.bits else "float32"
        iterations = self.meta.get("iterations")
        its = f", {iterations:,} iterations" if isinstance(iterations, int) else ""
        menu = f", menu {self.tree.menu.name}" if self.tree.menu is not None else ""
        spec = (self.abstraction.spec or {}).get("name", "?")
        return (f"{self.source}: {self.game.name}{menu}, buckets {spec} {list(self.tree.num_buckets)}, "
                f"{self.tree.num_rows:,} rows{its}, {stored}")


def _cards(cards: str | Sequence[int], what: str) -> list[int]:
    """Card codes of text such as ``"AhKh"`` or of a sequence of codes; a card given twice is refused."""
    if isinstance(cards, str):
        try:
            return parse_cards(cards)
        except CardError as exc:
            raise PolicyError(f"{what}: {one_line(exc)}") from None
    return [int(c) for c in cards]


def format_hand(cards: Sequence[int]) -> str:
    """Cards as text, or ``-`` when there are none."""
    return format_cards(cards) if cards else "-"
