"""A person against the blueprint in a terminal: one line of input per decision, readable from a script.

The person changes seats every hand (the bot fills every other seat). Each decision shows the cards, the
board, the pot, every stack and the legal actions with their sizes; the bot's moves and each hand's result
follow, with the running result in milli-big-blinds per hand. Input is one action in words (``fold``,
``check``, ``call``, ``bet 300``, ``raise 2.5bb``, ``all-in``; ``f``, ``c``, ``r 300``, ``a`` for short),
``help``, or ``quit``; the end of input ends the session like ``quit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from holdem.cards import format_cards
from holdem.engine import ActionKind, HandState
from holdem.games.gamedef import LIMIT_STACK
from holdem.play.player import PolicyPlayer, apply_move
from holdem.policy import STREET_NAMES, Policy
from holdem.policy.action_text import ActionTextError, play_words

HELP = ("actions: fold | check | call | bet N | raise N (N chips, or N bb: 'raise 2.5bb') | all-in;  "
        "short: f c r N a;  also: help, quit")
QUIT = {"q", "quit", "exit"}


@dataclass
class Session:
    """The person's results so far: hands finished and chips won per hand."""

    unit_chips: int
    results: list[int] = field(default_factory=list)

    @property
    def chips(self) -> int:
        return sum(self.results)

    @property
    def mbb_per_hand(self) -> float:
        return 1000.0 * self.chips / self.unit_chips / len(self.results) if self.results else 0.0

    def line(self, unit: str) -> str:
        short = "mbb" if unit == "big blind" else f"milli-{unit}s"
        hands = len(self.results)
        return (f"{hands} hand{'s' if hands != 1 else ''}, {self.chips:+,} chips, "
                f"{self.mbb_per_hand:+.1f} {short}/hand")


class TerminalGame:
    """Deals ``hands`` hands between a person (reading ``stdin``) and the policy; ``seed`` fixes cards and draws."""

    def __init__(self, policy: Policy, *, stdin: TextIO, stdout: TextIO, hands: int = 0, seed: int = 0,
                 first_seat: int = 0) -> None:
        self.policy = policy
        self.game = policy.game
        self.stdin = stdin
        self.stdout = stdout
        self.hands = hands
        self.seed = seed
        self.first_seat = first_seat
        self.session = Session(policy.unit_chips)
        self.bot = PolicyPlayer(policy, np.random.default_rng(seed))
        self._quit = False

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def run(self) -> Session:
        """Play until ``hands`` are done (0: no limit), the person quits or the input ends."""
        number = 0
        while not self._quit and (self.hands <= 0 or number < self.hands):
            result = self.play_hand(number)
            if result is None:
                break
            self.session.results.append(result)
            self.say(f"after {self.session.line(self.policy.unit)}")
            number += 1
        self.say(f"session over: {self.session.line(self.policy.unit)}")
        self.stdout.flush()
        return self.session

    def play_hand(self, number: int) -> int | None:
        """One hand; the person's chips won, or None when the person quit mid-hand."""
        game = self.game
        you = (self.first_seat + number) % game.num_players
        state = HandState(game=game, rng=np.random.default_rng([self.seed, number]))
        self.bot.new_hand(np.random.default_rng([self.seed, number, 1]))
        limit = f" of {self.hands}" if self.hands > 0 else ""
        self.say(f"=== hand {number + 1}{limit}: you are seat {you} ({self.position(you)}), "
                 f"your cards {format_cards(state.hole_cards[you])}")
        street = 0
        while not state.is_finished:
            if state.street != street:
                street = state.street
                self.say(f"--- {self.street_name(street)}: board {format_cards(state.board)}, "
                         f"pot {self.chips(state.pot)}")
            seat = state.actor
            assert seat is not None
            if seat == you:
                if not self.ask(state, you):
                    return None
            else:
                move = self.bot.decide(state, seat)
                facing = max(state.bets)
                apply_move(state, move)
                self.say(f"seat {seat} (bot) {self.describe(state, facing)}")
        return self.finish(state, you)

    def ask(self, state: HandState, you: int) -> bool:
        """Show the table and read actions until one is legal; False when the person quits."""
        self.show(state, you)
        while True:
            self.stdout.write("> ")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                self.say("(end of input)")
                self._quit = True
                return False
            text = line.strip().lower()
            if text in QUIT:
                self._quit = True
                return False
            if text in ("", "?", "h", "help"):
                self.say(HELP)
                continue
            facing = max(state.bets)
            try:
                play_words(state, _expand(text))
            except ActionTextError as exc:
                self.say(f"not now: {exc} ({self.legal(state)})")
                continue
            self.say(f"seat {you} (you) {self.describe(state, facing)}")
            return True

    def show(self, state: HandState, you: int) -> None:
        board = format_cards(state.board) if state.board else "-"
        self.say(f"board {board}   pot {self.chips(state.pot)}   {self.street_name(state.street)}")
        for seat in range(self.game.num_players):
            who = "you" if seat == you else "bot"
            status = "" if state.in_hand[seat] else "  (folded)"
            cards = f"   cards {format_cards(state.hole_cards[seat])}" if seat == you else ""
            stack = f"stack {state.stacks[seat]:,}, " if self.game.stack[seat] < LIMIT_STACK else ""
            self.say(f"  seat {seat} {who}: {stack}bet {state.bets[seat]:,}{cards}{status}")
        self.say(f"your move: {self.legal(state)}")

    def legal(self, state: HandState) -> str:
        """The legal actions with their sizes: ``fold | call 200 (2 bb) | raise to 400..20000 (4-200 bb)``."""
        options = []
        if state.can_fold():
            options.append("fold")
        to_call = state.to_call()
        options.append(f"call {self.chips(to_call)}" if to_call else "check")
        low, high = state.min_raise_to(), state.max_raise_to()
        if low is not None and high is not None:
            word = "raise" if max(state.bets) > 0 else "bet"
            if low == high:
                options.append(f"{word} to {self.chips(low)}")
            else:
                options.append(f"{word} to {low:,}..{high:,} ({self.units(low)}..{self.units(high)} "
                               f"{self.unit_short()}) | all-in {self.chips(high)}")
        return " | ".join(options)

    def finish(self, state: HandState, you: int) -> int:
        """Show the showdown and the person's result; returns the chips won."""
        alive = [s for s in range(self.game.num_players) if state.in_hand[s]]
        if len(alive) > 1:
            board = f" on {format_cards(state.runout)}" if state.runout else ""
            shown = ", ".join(f"seat {s} {'(you)' if s == you else '(bot)'} {format_cards(state.hole_cards[s])}"
                              for s in alive)
            self.say(f"showdown{board}: {shown}")
        won = state.payoffs()[you]
        self.say(f"you {'win' if won > 0 else 'lose'} {self.chips(abs(won))}" if won else "you break even")
        return won

    # --- words -----------------------------------------------------------------------------------
    def unit_short(self, amount: float = 2.0) -> str:
        if self.policy.unit == "big blind":
            return "bb"
        return self.policy.unit + ("" if amount == 1 else "s")

    def units(self, chips: int) -> str:
        return f"{chips / self.policy.unit_chips:g}"

    def chips(self, chips: int) -> str:
        return f"{chips:,} ({self.units(chips)} {self.unit_short(chips / self.policy.unit_chips)})"

    def street_name(self, street: int) -> str:
        return STREET_NAMES[street] if self.game.num_rounds == 4 else f"round {street + 1}"

    def position(self, seat: int) -> str:
        blind = self.game.blind[seat]
        if blind and blind == self.game.big_blind:
            return "big blind"
        if blind:
            return "small blind"
        return "first to act" if seat == self.game.first_player[0] else "no blind"

    def describe(self, state: HandState, facing: int) -> str:
        """The last action: ``folds``, ``checks``, ``calls 200 (2 bb)``, ``raises to 750 (7.5 bb)``, ``, all-in``."""
        action = state.actions[-1]
        if action.kind is ActionKind.FOLD:
            return "folds"
        if action.kind is ActionKind.CHECK_OR_CALL:
            text = f"calls {self.chips(action.amount)}" if action.amount else "checks"
        else:
            text = f"{'raises' if facing else 'bets'} to {self.chips(action.to_street)}"
        return text + (", all-in" if action.amount and state.stacks[action.seat] == 0 else "")


def _expand(text: str) -> str:
    """Short forms: ``a`` is all-in, ``r 300`` / ``b 300`` keep their amount."""
    return {"a": "all-in"}.get(text, text)
