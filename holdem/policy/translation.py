"""Pseudo-harmonic action translation (Ganzfried & Sandholm 2013) from real bets onto an abstract tree.

Bet sizes are pot fractions: a raise to ``t`` by a seat facing ``top`` adds ``(t - top) / (pot + top -
own)``, the pot after its call, which is how the action menu states its sizes. A real size ``x``
between abstract sizes ``A < x < B`` maps to ``A`` with probability
``f(x) = ((B - x)(1 + A)) / ((B - A)(1 + x))`` and to ``B`` otherwise; outside the menu's range it maps
to the nearest size, and a size the menu offers maps to itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from holdem.abstraction.tree import CHANCE, DECISION, EDGE_CALL, EDGE_FOLD, EDGE_RAISE, BettingTree
from holdem.engine import Action, ActionKind, HandState
from holdem.engine.seat import pot_fraction

_EXACT = 1e-9


class TranslationError(ValueError):
    """A real history the rules engine rejects, so it cannot be translated."""


def harmonic_probability(x: float, low: float, high: float) -> float:
    """Probability that a real size ``x`` in ``[low, high]`` maps to ``low`` (pot fractions, low < high)."""
    if not 0 <= low < high:
        raise ValueError(f"need 0 <= low < high, got low={low}, high={high}")
    if not low <= x <= high:
        raise ValueError(f"size {x} lies outside [{low}, {high}]")
    return ((high - x) * (1.0 + low)) / ((high - low) * (1.0 + x))


def translation_probabilities(x: float, sizes: Sequence[float]) -> list[tuple[int, float]]:
    """Indices into ascending ``sizes`` that ``x`` maps to, with their probabilities (one or two entries)."""
    if not sizes:
        raise ValueError("no abstract sizes to translate onto")
    hi = bisect.bisect_left(sizes, x)
    if hi < len(sizes) and abs(sizes[hi] - x) <= _EXACT:
        return [(hi, 1.0)]
    if hi > 0 and abs(sizes[hi - 1] - x) <= _EXACT:
        return [(hi - 1, 1.0)]
    if hi == 0:
        return [(0, 1.0)]
    if hi == len(sizes):
        return [(len(sizes) - 1, 1.0)]
    p_low = harmonic_probability(x, sizes[hi - 1], sizes[hi])
    return [(hi - 1, p_low), (hi, 1.0 - p_low)]


def translate_size(x: float, sizes: Sequence[float], rng: np.random.Generator | None) -> tuple[int, float]:
    """One index into ``sizes`` for ``x`` and its probability: sampled with ``rng``, else the likelier one."""
    options = translation_probabilities(x, sizes)
    if len(options) == 1:
        return options[0]
    (low, p_low), (high, p_high) = options
    if rng is None:
        return (low, p_low) if p_low >= p_high else (high, p_high)
    return (low, p_low) if rng.random() < p_low else (high, p_high)


def abstract_raise_fraction(tree: BettingTree, node: int, child: int) -> float:
    """Pot fraction of the raise from decision ``node`` to its ``child``, at the node's contributions.

    Played back with :func:`holdem.engine.seat.real_raise_to` it gives the tree's exact chips when the real
    hand matches the abstract one, and the same share of the real pot after a translation.
    """
    first = int(tree.first_child[node])
    if not first <= child < first + int(tree.num_children[node]) or int(tree.edge_kind[child]) != EDGE_RAISE:
        raise ValueError(f"node {child} is not a bet or raise child of node {node}")
    return pot_fraction(int(tree.edge_amount[child]), tree.contrib[node].tolist(), int(tree.player[node]))


@dataclass(frozen=True, slots=True)
class Translation:
    """One real action that the abstract tree does not hold, and what it was mapped to."""

    index: int
    street: int
    real: str
    abstract: str
    probability: float
    reason: str


@dataclass(frozen=True, slots=True)
class TranslatedHistory:
    """Abstract node of a real history, the actions translated on the way and any left unmapped.

    ``complete`` is False when the abstract hand ended or diverged (another seat to act) before the real
    one; ``node`` is then the last node reached and ``unmapped`` holds the remaining real tokens.
    """

    node: int
    abstract_history: str
    translations: tuple[Translation, ...]
    complete: bool
    unmapped: tuple[str, ...]

    @property
    def translated(self) -> bool:
        return bool(self.translations)


def translate_history(
    tree: BettingTree,
    history: str,
    *,
    rng: np.random.Generator | None = None,
    stacks: Sequence[int] | None = None,
) -> TranslatedHistory:
    """Map an ACPC history of real amounts (e.g. ``"r300c/cr650"``) onto ``tree``'s node.

    The history is first replayed through the rules engine (an impossible one raises TranslationError).
    Off-menu raise sizes are translated pseudo-harmonically, sampled with ``rng`` or, without one, to the
    likelier size.
    """
    game = tree.game
    deck = game.deck
    k = game.num_hole_cards
    holes = [deck[s * k:(s + 1) * k] for s in range(game.num_players)]
    board = deck[game.num_players * k: game.num_players * k + game.total_board_cards]
    try:
        start = HandState(game=game, stacks=stacks, hole_cards=holes, board=board)
        real = HandState.from_acpc(game=game, history=history, stacks=stacks, hole_cards=holes, board=board)
    except ValueError as exc:
        raise TranslationError(f"history {history!r}: {exc}") from None
    walk = _Walk(tree, rng)
    contributions = list(start.contributions)
    actions = real.actions
    for index, action in enumerate(actions):
        if not walk.advance_to(action.street) or not walk.act(index, action, contributions):
            return walk.result(complete=False, unmapped=tuple(a.acpc for a in actions[index:]))
        contributions[action.seat] = action.to_total
    if not real.is_finished and not walk.advance_to(real.street):
        return walk.result(complete=False, unmapped=())
    return walk.result(complete=True, unmapped=())


class _Walk:
    """The abstract path followed so far while real actions are mapped one by one."""

    def __init__(self, tree: BettingTree, rng: np.random.Generator | None) -> None:
        self.tree = tree
        self.rng = rng
        self.node = 0
        self.labels: list[str] = []
        self.translations: list[Translation] = []

    def result(self, *, complete: bool, unmapped: tuple[str, ...]) -> TranslatedHistory:
        labels = "".join(self.labels)
        return TranslatedHistory(self.node, labels, tuple(self.translations), complete, unmapped)

    def _child(self, edge_kind: int) -> int | None:
        tree = self.tree
        first = int(tree.first_child[self.node])
        for child in range(first, first + int(tree.num_children[self.node])):
            if tree.edge_kind[child] == edge_kind:
                return child
        return None

    def _raises(self) -> list[int]:
        tree = self.tree
        first = int(tree.first_child[self.node])
        return [c for c in range(first, first + int(tree.num_children[self.node]))
                if tree.edge_kind[c] == EDGE_RAISE]

    def _step(self, child: int) -> None:
        self.labels.append(self.tree.label(child))
        self.node = child

    def advance_to(self, street: int) -> bool:
        """Pass chance nodes (and close abstract rounds still open by calling) until ``street``'s betting."""
        tree = self.tree
        while True:
            kind = int(tree.kind[self.node])
            if kind == CHANCE:
                self.labels.append("/")
                self.node = int(tree.first_child[self.node])
                continue
            if kind != DECISION:
                return False
            node_street = int(tree.street[self.node])
            if node_street == street:
                return True
            if node_street > street:
                return False
            call = self._child(EDGE_CALL)
            if call is None:
                return False
            self.translations.append(Translation(-1, node_street, "/", "c", 1.0,
                                                 "the real round ended while the abstract one was open"))
            self._step(call)

    def act(self, index: int, action: Action, contributions: list[int]) -> bool:
        """Follow the abstract child for one real action; False when the abstract tree cannot."""
        tree = self.tree
        if int(tree.player[self.node]) != action.seat:
            return False
        real_token = action.acpc
        if action.kind is ActionKind.FOLD:
            child = self._child(EDGE_FOLD)
            if child is None:
                return self._substitute(index, action, real_token, self._child(EDGE_CALL),
                                        "the abstract seat faces no bet, so the fold becomes a check")
            self._step(child)
            return True
        if action.kind is ActionKind.CHECK_OR_CALL:
            child = self._child(EDGE_CALL)
            if child is None:
                raises = self._raises()
                return self._substitute(index, action, real_token, raises[0] if raises else None,
                                        "the abstraction has no call here, so the smallest raise stands in")
            self._step(child)
            return True
        raises = self._raises()
        if not raises:
            return self._substitute(index, action, real_token, self._child(EDGE_CALL),
                                    "the abstraction allows no more raises, so the raise becomes a call")
        if tree.game.is_limit:
            self._step(raises[0])
            return True
        abstract_contrib = tree.contrib[self.node].tolist()
        for child in raises:
            if int(tree.edge_amount[child]) == action.to_total and abstract_contrib == contributions:
                self._step(child)
                return True
        sizes = [pot_fraction(int(tree.edge_amount[c]), abstract_contrib, action.seat) for c in raises]
        x = pot_fraction(action.to_total, contributions, action.seat)
        choice, probability = translate_size(x, sizes, self.rng)
        child = raises[choice]
        if abs(sizes[choice] - x) > _EXACT or tree.label(child) != real_token:
            reason = f"raise of {x:.3f} pot mapped to {sizes[choice]:.3f} pot"
            self.translations.append(Translation(index, action.street, real_token, tree.label(child),
                                                 probability, reason))
        self._step(child)
        return True

    def _substitute(self, index: int, action: Action, real_token: str, child: int | None,
                    reason: str) -> bool:
        if child is None:
            return False
        self.translations.append(Translation(index, action.street, real_token, self.tree.label(child), 1.0,
                                             reason))
        self._step(child)
        return True
