"""The exact rules of one hand of any :class:`GameDef`, as a state machine.

Conventions (all match pokerkit 0.7.7 for hold'em seatings):

- Seats are 0..n-1 and play proceeds in increasing seat order, wrapping around; round r starts at
  ``game.first_player[r]`` and skips folded and all-in seats.
- Antes go straight to the pot; blinds are the first bets of round 0. A stack too short for its
  ante or blind posts what it has and is all in; the call amount is then the largest bet posted.
- A seat skips a round when nobody left could call a bet of its (every other seat still in is all
  in for less). When at most one seat can act and bets are matched, the remaining boards are dealt.
- No-limit: a bet or raise must add at least the largest bet/raise increment of this round and at
  least the big blind (blinds are not an increment); all in for less is allowed. A raise smaller
  than the largest increment does not reopen the betting: seats that already acted may only call
  or fold, unless consecutive short all-ins add up to a full increment. Because the blinds are not
  an increment, a preflop raise of less than a big blind (an all-in) reopens the betting for seats
  that limped; TDA rules would not, pokerkit does, and so do we. Limit: every bet or raise adds
  ``raise_size[r]`` and round r allows at most ``max_raises[r]`` of them.
- Folding is legal only when facing a bet (as in ACPC): when checking is free, fold is refused.
- Uncalled chips come back; side pots layer the contributions. Hands that win no pot are mucked
  first, so neighbouring pots left with the same contenders merge; each pot then splits evenly
  among its best hands and its odd chips go to the first winner in seat order starting at the seat
  that opens the last round (``first_player[-1]``: the first seat left of the button in hold'em).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from holdem.cards import CardError, format_card, parse_cards
from holdem.engine.acpc import format_acpc_history, parse_acpc_history, parse_acpc_token
from holdem.engine.pots import Pot, award_pots, build_pots
from holdem.engine.records import Action, ActionKind, IllegalActionError
from holdem.games.gamedef import GameDef
from holdem.showdown import hand_rank

CardsLike = str | Sequence[int]
_NO_CAP = 1 << 62


class _Rules:
    """Constants of a game that the per-action path reads, computed once per GameDef."""

    __slots__ = ("limit", "steps", "caps", "first_player", "last_round", "board_visible", "odd_chip_order",
                 "deck", "deck_array")

    def __init__(self, game: GameDef) -> None:
        rounds = game.num_rounds
        self.limit = game.is_limit
        self.steps = tuple(game.raise_size) if self.limit else (game.min_bet,) * rounds
        self.caps = tuple(game.max_raises) if self.limit else (_NO_CAP,) * rounds
        self.first_player = tuple(game.first_player)
        self.last_round = rounds - 1
        self.board_visible = tuple(game.board_cards_before(r) for r in range(rounds))
        n, last_opener = game.num_players, game.first_player[-1]
        self.odd_chip_order = tuple((last_opener + k) % n for k in range(n))
        self.deck = frozenset(game.deck)
        self.deck_array = np.asarray(game.deck, dtype=np.int64)


_RULES: dict[int, tuple[GameDef, _Rules]] = {}


def _rules_of(game: GameDef) -> _Rules:
    cached = _RULES.get(id(game))
    if cached is None or cached[0] is not game:
        cached = _RULES[id(game)] = (game, _Rules(game))
    return cached[1]


class HandState:
    """One hand in progress or finished: forced bets are posted and the first actor is set on creation.

    Cards are either supplied (``hole_cards`` per seat; ``board`` as the runout of all rounds or a
    prefix of it, flat or one group per round such as ``["Ah Kd 7c", "2s", "9h"]``) or dealt from
    the game's deck shuffled by ``rng``, a ``numpy.random.Generator``.
    """

    __slots__ = (
        "game", "starting_stacks", "_rules", "_n", "_stacks", "_bets", "_contrib", "_in_hand", "_num_in_hand",
        "_hole", "_runout", "_street", "_max_bet", "_actors", "_acted", "_full_raise",
        "_raises", "_short_all_ins", "_actions", "_finished", "_pots",
    )

    def __init__(
        self,
        *,
        game: GameDef,
        stacks: Sequence[int] | None = None,
        hole_cards: Sequence[CardsLike | None] | None = None,
        board: CardsLike | Sequence[CardsLike] | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        n = game.num_players
        start = tuple(game.stack) if stacks is None else tuple(int(s) for s in stacks)
        if len(start) != n:
            raise ValueError(f"{game.name} seats {n} players but {len(start)} stacks were given")
        if any(s <= 0 for s in start):
            raise ValueError(f"stacks must be positive, got {list(start)}")
        self.game = game
        self.starting_stacks = start
        self._rules = rules = _rules_of(game)
        self._n = n
        self._stacks = list(start)
        self._bets = [0] * n
        self._contrib = [0] * n
        self._in_hand = [True] * n
        self._num_in_hand = n
        self._hole, self._runout = _deal_cards(game, rules, hole_cards, board, rng)
        self._street = 0
        self._max_bet = 0
        self._actors: deque[int] = deque()
        self._acted: set[int] = set()
        self._full_raise = 0
        self._raises = 0
        self._short_all_ins: list[int] = []
        self._actions: list[Action] = []
        self._finished = False
        self._pots: tuple[Pot, ...] = ()
        self._post_forced_bets()
        if not self._open_street():
            self._end_street()

    @classmethod
    def from_acpc(
        cls,
        *,
        game: GameDef,
        history: str,
        stacks: Sequence[int] | None = None,
        hole_cards: Sequence[CardsLike | None] | None = None,
        board: CardsLike | Sequence[CardsLike] | None = None,
        rng: np.random.Generator | None = None,
    ) -> HandState:
        """A new hand with the betting string ``history`` (e.g. ``"r300c/cr900f"``) applied."""
        state = cls(game=game, stacks=stacks, hole_cards=hole_cards, board=board, rng=rng)
        state.apply_acpc_history(history)
        return state

    @property
    def actor(self) -> int | None:
        """Seat to act, or None once the hand is over."""
        return self._actors[0] if self._actors else None

    @property
    def street(self) -> int:
        """Current round index (the last round reached once the hand is over)."""
        return self._street

    @property
    def is_finished(self) -> bool:
        return self._finished

    @property
    def stacks(self) -> tuple[int, ...]:
        """Chips behind for each seat; after the hand, the final stacks."""
        return tuple(self._stacks)

    @property
    def bets(self) -> tuple[int, ...]:
        """Each seat's bet in the current round."""
        return tuple(self._bets)

    @property
    def contributions(self) -> tuple[int, ...]:
        """Chips each seat has put in the hand, antes and blinds included."""
        return tuple(self._contrib)

    @property
    def pot(self) -> int:
        """All chips put in the hand so far."""
        return sum(self._contrib)

    @property
    def in_hand(self) -> tuple[bool, ...]:
        """Whether each seat has not folded."""
        return tuple(self._in_hand)

    @property
    def hole_cards(self) -> tuple[tuple[int, ...], ...]:
        return self._hole

    @property
    def board(self) -> tuple[int, ...]:
        """Board cards dealt so far."""
        return self._runout[: self._rules.board_visible[self._street]]

    @property
    def runout(self) -> tuple[int, ...]:
        """All board cards of the hand, including those not dealt yet (for replay and logs)."""
        return self._runout

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(self._actions)

    @property
    def pots(self) -> tuple[Pot, ...]:
        """Main and side pots as they would stand now (as settled once the hand is over)."""
        if self._finished:
            return self._pots
        return tuple(build_pots(self._contrib, self._in_hand))

    def to_call(self) -> int:
        """Chips the actor needs to call (capped by its stack); 0 when checking or the hand is over."""
        if not self._actors:
            return 0
        seat = self._actors[0]
        return min(self._max_bet - self._bets[seat], self._stacks[seat])

    def payoffs(self) -> tuple[int, ...]:
        """Chips each seat won minus what it put in; they sum to zero."""
        if not self._finished:
            raise ValueError(f"the hand is not over: seat {self._actors[0]} is to act")
        return tuple(s - s0 for s, s0 in zip(self._stacks, self.starting_stacks))

    def history_acpc(self) -> str:
        """The betting so far as an ACPC string, e.g. ``"r300c/cr900f"``."""
        return format_acpc_history(self._actions, self._street)

    def can_fold(self) -> bool:
        return bool(self._actors) and self._bets[self._actors[0]] < self._max_bet

    def can_check_or_call(self) -> bool:
        return bool(self._actors)

    def can_bet_or_raise(self, to_amount: int | None = None) -> bool:
        """Whether the actor may bet or raise at all, or to ``to_amount`` (its bet in this round)."""
        if not self._actors:
            return False
        seat = self._actors[0]
        if self._raise_block(seat) is not None:
            return False
        return to_amount is None or self._min_raise_to(seat) <= to_amount <= self._max_raise_to(seat)

    def min_raise_to(self) -> int | None:
        """Smallest legal bet/raise, as the actor's bet in this round after it; None if none is legal."""
        if not self._actors or self._raise_block(self._actors[0]) is not None:
            return None
        return self._min_raise_to(self._actors[0])

    def max_raise_to(self) -> int | None:
        """Largest legal bet/raise (all in, or the fixed size in limit games); None if none is legal."""
        if not self._actors or self._raise_block(self._actors[0]) is not None:
            return None
        return self._max_raise_to(self._actors[0])

    def _min_raise_to(self, seat: int) -> int:
        step = self._rules.steps[self._street]
        target = self._max_bet + (self._full_raise if self._full_raise > step else step)
        return min(target, self._stacks[seat] + self._bets[seat])

    def _max_raise_to(self, seat: int) -> int:
        if self._rules.limit:
            return self._min_raise_to(seat)
        return self._stacks[seat] + self._bets[seat]

    def _raise_block(self, seat: int) -> str | None:
        """Why ``seat`` may not bet or raise now, or None when it may."""
        cap = self._rules.caps[self._street]
        if self._raises >= cap:
            return f"no more bets or raises in round {self._street}: the cap of {cap} is reached"
        stack = self._stacks[seat]
        need = self._max_bet - self._bets[seat]
        if stack <= need:
            return f"seat {seat} cannot raise: its {stack} chips only cover the call of {need}"
        if need < self._full_raise:
            return (f"seat {seat} cannot raise: it faces {need} more, less than a full raise of "
                    f"{self._full_raise}, so the all-in for less does not reopen the betting")
        if self._short_all_ins and sum(self._short_all_ins) < self._full_raise and seat in self._acted:
            return (f"seat {seat} cannot raise: it already acted and the all-in for less since then "
                    f"does not reopen the betting")
        bets, stacks, in_hand = self._bets, self._stacks, self._in_hand
        max_bet = self._max_bet
        for other in range(self._n):
            if other != seat and in_hand[other] and stacks[other] + bets[other] > max_bet:
                return None
        return f"seat {seat} cannot raise: every other player is all in or folded"

    def _turn(self, seat: int | None) -> int:
        if not self._actors:
            raise IllegalActionError("the hand is over: no seat is to act")
        actor = self._actors[0]
        if seat is not None and seat != actor:
            raise IllegalActionError(f"not seat {seat}'s turn: seat {actor} is to act")
        return actor

    def fold(self, *, seat: int | None = None) -> Action:
        """Give up the hand; legal only when facing a bet. ``seat`` optionally asserts whose turn it is."""
        actor = self._turn(seat)
        if self._bets[actor] >= self._max_bet:
            raise IllegalActionError(
                f"seat {actor} cannot fold: there is no bet to call (folding is only allowed facing a bet)"
            )
        self._in_hand[actor] = False
        self._num_in_hand -= 1
        action = Action(actor, ActionKind.FOLD, 0, self._bets[actor], self._contrib[actor], self._street)
        self._actions.append(action)
        self._actors.popleft()
        self._acted.add(actor)
        if self._num_in_hand == 1:
            self._finish_by_fold()
        elif not self._actors:
            self._end_street()
        return action

    def check_or_call(self, *, seat: int | None = None) -> Action:
        """Check, or call the largest bet (all in when the stack is shorter)."""
        actor = self._turn(seat)
        amount = min(self._max_bet - self._bets[actor], self._stacks[actor])
        self._bets[actor] += amount
        self._stacks[actor] -= amount
        self._contrib[actor] += amount
        action = Action(actor, ActionKind.CHECK_OR_CALL, amount, self._bets[actor], self._contrib[actor],
                        self._street)
        self._actions.append(action)
        self._actors.popleft()
        self._acted.add(actor)
        if not self._actors:
            self._end_street()
        return action

    def bet_or_raise(self, to_amount: int, *, seat: int | None = None) -> Action:
        """Bet or raise so that the actor's bet in this round becomes ``to_amount``."""
        actor = self._turn(seat)
        reason = self._raise_block(actor)
        if reason is not None:
            raise IllegalActionError(reason)
        to_amount = int(to_amount)
        word = "raise" if self._max_bet else "bet"
        low = self._min_raise_to(actor)
        high = self._max_raise_to(actor)
        if self._rules.limit and to_amount != low:
            raise IllegalActionError(f"{word} to {to_amount} is not the fixed-limit {word} to {low}")
        if to_amount < low:
            raise IllegalActionError(f"{word} to {to_amount} is below the minimum {word} to {low}")
        if to_amount > high:
            raise IllegalActionError(
                f"{word} to {to_amount} is above seat {actor}'s all-in {word} to {high}"
            )
        increment = to_amount - self._max_bet
        delta = to_amount - self._bets[actor]
        self._bets[actor] = to_amount
        self._stacks[actor] -= delta
        self._contrib[actor] += delta
        self._max_bet = to_amount
        n, in_hand, stacks = self._n, self._in_hand, self._stacks
        self._actors = deque(
            s for s in ((actor + k) % n for k in range(1, n)) if in_hand[s] and stacks[s] > 0
        )
        if increment >= self._full_raise:
            self._acted.clear()
        self._acted.add(actor)
        if increment > self._full_raise:
            self._full_raise = increment
        self._raises += 1
        if stacks[actor]:
            self._short_all_ins.clear()
        else:
            self._short_all_ins.append(increment)
            if sum(self._short_all_ins) >= self._full_raise:
                self._short_all_ins.clear()
        action = Action(actor, ActionKind.BET_OR_RAISE, delta, to_amount, self._contrib[actor], self._street)
        self._actions.append(action)
        return action

    def apply_acpc(self, token: str) -> Action:
        """Apply one ACPC action: ``f``, ``c``, ``r<total>`` (total chips in the hand after it) or ``r``."""
        kind, total = parse_acpc_token(token.strip())
        if kind == "f":
            return self.fold()
        if kind == "c":
            return self.check_or_call()
        actor = self._turn(None)
        if total is None:
            if not self._rules.limit:
                raise IllegalActionError(f"bad ACPC action {token!r}: a no-limit raise needs r<total chips>")
            reason = self._raise_block(actor)
            if reason is not None:
                raise IllegalActionError(reason)
            return self.bet_or_raise(self._min_raise_to(actor))
        before_round = self._contrib[actor] - self._bets[actor]
        try:
            return self.bet_or_raise(total - before_round)
        except IllegalActionError as exc:
            if not before_round:
                raise
            low, high, base = self.min_raise_to(), self.max_raise_to(), before_round
            legal = "" if low is None or high is None else f"; legal r{low + base}..r{high + base}"
            raise IllegalActionError(
                f"{token}: {exc} (this round's amounts; ACPC totals add the {base} put in before{legal})"
            ) from None

    def apply_acpc_history(self, history: str) -> None:
        """Continue the betting with a string; ``history_acpc() + history`` is the whole hand's string.

        Each ``/`` closes a round that has ended; the string resumes in the round of the last action.
        """
        start = self._actions[-1].street if self._actions else 0
        for offset, tokens in enumerate(parse_acpc_history(history)):
            round_index = start + offset
            if round_index > self._street:
                raise IllegalActionError(
                    f"ACPC history {history!r}: round {round_index - 1} has not ended at the '/'"
                )
            for token in tokens:
                if self._actors and self._street != round_index:
                    raise IllegalActionError(
                        f"ACPC history {history!r}: action {token!r} is written in round {round_index} "
                        f"but the hand is in round {self._street} (missing '/')"
                    )
                self.apply_acpc(token)

    def _post_forced_bets(self) -> None:
        game, stacks = self.game, self._stacks
        for seat in range(self._n):
            ante = min(game.ante[seat], stacks[seat])
            stacks[seat] -= ante
            self._contrib[seat] += ante
        for seat in range(self._n):
            blind = min(game.blind[seat], stacks[seat])
            stacks[seat] -= blind
            self._contrib[seat] += blind
            self._bets[seat] = blind
        self._max_bet = max(self._bets)

    def _open_street(self) -> bool:
        """Set up the betting of the current round; False when nobody needs to act in it."""
        self._acted.clear()
        self._full_raise = 0
        self._raises = 0
        self._short_all_ins.clear()
        n, in_hand, stacks, bets = self._n, self._in_hand, self._stacks, self._bets
        totals = sorted(stacks[s] + bets[s] for s in range(n) if in_hand[s])
        callable_total = totals[-2]
        first = self._rules.first_player[self._street]
        actors = deque(
            s for s in ((first + k) % n for k in range(n))
            if in_hand[s] and stacks[s] > 0 and callable_total > bets[s]
        )
        if len(actors) == 1 and bets[actors[0]] >= self._max_bet:
            actors.clear()
        self._actors = actors
        return bool(actors)

    def _end_street(self) -> None:
        last = self._rules.last_round
        while self._street < last:
            self._street += 1
            self._bets = [0] * self._n
            self._max_bet = 0
            if self._open_street():
                return
        self._showdown()

    def _showdown(self) -> None:
        board = self._runout
        ranks = [hand_rank(self._hole[s] + board) if self._in_hand[s] else -1 for s in range(self._n)]
        contenders = [False] * self._n
        for pot in build_pots(self._contrib, self._in_hand):
            best = max(ranks[s] for s in pot.eligible)
            for s in pot.eligible:
                if ranks[s] == best:
                    contenders[s] = True
        pots = build_pots(self._contrib, contenders)
        won = award_pots(pots, ranks, self._rules.odd_chip_order)
        self._settle(pots, won)

    def _finish_by_fold(self) -> None:
        winner = self._in_hand.index(True)
        pots = build_pots(self._contrib, self._in_hand)
        won = [0] * self._n
        won[winner] = sum(self._contrib)
        self._settle(pots, won)

    def _settle(self, pots: list[Pot], won: list[int]) -> None:
        for seat in range(self._n):
            self._stacks[seat] += won[seat]
        self._pots = tuple(pots)
        self._actors.clear()
        self._finished = True

    def __repr__(self) -> str:
        status = "finished" if self._finished else f"seat {self._actors[0]} to act"
        return (f"HandState({self.game.name}, round {self._street}, {status}, stacks={self._stacks}, "
                f"bets={self._bets}, history={self.history_acpc()!r})")


def _cards_of(value: CardsLike, what: str) -> tuple[int, ...]:
    if isinstance(value, str):
        return tuple(parse_cards(value, allow_duplicates=True))
    cards = tuple(int(c) for c in value)
    for c in cards:
        if not 0 <= c < 52:
            raise CardError(f"{what}: card code {c} out of range 0..51")
    return cards


def _deal_cards(
    game: GameDef,
    rules: _Rules,
    hole_cards: Sequence[CardsLike | None] | None,
    board: CardsLike | Sequence[CardsLike] | None,
    rng: np.random.Generator | None,
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Hole cards per seat and the whole board runout: the supplied ones checked, the rest dealt."""
    n, k, num_board = game.num_players, game.num_hole_cards, game.total_board_cards
    if hole_cards is None and board is None and rng is not None:
        cards = rng.permutation(rules.deck_array)[: n * k + num_board].tolist()
        return tuple(tuple(cards[s * k : s * k + k]) for s in range(n)), tuple(cards[n * k :])
    if hole_cards is not None and len(hole_cards) != n:
        raise CardError(f"hole cards for {len(hole_cards)} seats given, {game.name} seats {n}")
    holes: list[tuple[int, ...] | None] = [None] * n
    seen: dict[int, str] = {}
    in_deck = rules.deck

    def claim(cards: tuple[int, ...], where: str) -> None:
        for c in cards:
            if c not in in_deck:
                raise CardError(f"{where}: {format_card(c)} is not in the {game.name} deck")
            if c in seen:
                raise CardError(f"card {format_card(c)} is dealt twice: {seen[c]} and {where}")
            seen[c] = where

    for seat in range(n):
        given = None if hole_cards is None else hole_cards[seat]
        if given is not None:
            cards = _cards_of(given, f"seat {seat} hole cards")
            if len(cards) != k:
                raise CardError(f"seat {seat} needs {k} hole cards, got {len(cards)}")
            claim(cards, f"seat {seat} hole cards")
            holes[seat] = cards
    if board is None:
        runout: tuple[int, ...] = ()
    elif not isinstance(board, str) and any(isinstance(part, str | Sequence) for part in board):
        runout = tuple(c for part in board for c in _cards_of(part, "board"))  # type: ignore[arg-type]
    else:
        runout = _cards_of(board, "board")
    if len(runout) > num_board:
        raise CardError(f"{len(runout)} board cards given, {game.name} deals {num_board}")
    claim(runout, "the board")
    if all(h is not None for h in holes) and len(runout) == num_board:
        return tuple(holes), runout  # type: ignore[arg-type]
    if rng is None:
        raise ValueError("some cards are not supplied: pass rng=numpy.random.default_rng(seed) to deal them")
    rest = rng.permutation(np.asarray([c for c in game.deck if c not in seen], dtype=np.int64)).tolist()
    dealt = []
    for h in holes:
        if h is None:
            h, rest = tuple(rest[:k]), rest[k:]
        dealt.append(h)
    return tuple(dealt), runout + tuple(rest[: num_board - len(runout)])
