"""Betting written in plain words, such as ``"raise 300, call / check, bet 2.5bb"``, turned into ACPC.

Items are separated by commas; ``/`` may mark where a street ends (it is checked, never required).
``fold``, ``check``, ``call`` and ``all-in`` take no amount; ``bet N`` and ``raise N`` (or ``raise to N``)
make the seat's bet in the current street ``N`` chips, or ``N`` big blinds with a ``bb`` suffix (in limit
games the amount may be left out).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from holdem.engine import Action, HandState
from holdem.games import GameDef

if TYPE_CHECKING:
    from holdem.policy.policy import ActionOption

_ITEM = re.compile(r"^(?P<verb>[a-z-]+)(?:\s+to)?(?:\s+(?P<amount>\d+(?:\.\d+)?)\s*(?P<bb>bb)?)?$")
_NO_AMOUNT = {"fold": "fold", "f": "fold", "check": "call", "call": "call", "c": "call", "x": "call",
              "all-in": "all-in", "allin": "all-in", "shove": "all-in", "jam": "all-in"}
_WITH_AMOUNT = {"bet", "raise", "r", "b"}


class ActionTextError(ValueError):
    """An action list that cannot be read or played; the message is one line."""


def _items(text: str) -> list[str]:
    items: list[str] = []
    for part in text.replace("/", ",/,").split(","):
        item = " ".join(part.strip().lower().split())
        if item:
            items.append(item)
    return items


def actions_to_acpc(game: GameDef, text: str, *, stacks: Sequence[int] | None = None) -> str:
    """The ACPC betting string of a plain-words action list, played through the rules engine."""
    deck = game.deck
    k = game.num_hole_cards
    holes = [deck[s * k:(s + 1) * k] for s in range(game.num_players)]
    board = deck[game.num_players * k: game.num_players * k + game.total_board_cards]
    state = HandState(game=game, stacks=stacks, hole_cards=holes, board=board)
    last_street = 0
    for number, item in enumerate(_items(text), start=1):
        where = f"action {number} {item!r}"
        if item == "/":
            if state.street <= last_street and state.actor is not None:
                raise ActionTextError(f"{where}: the betting of round {last_street} is not over yet")
            continue
        last_street = state.street
        play_words(state, item, where=where)
    return state.history_acpc()


def play_words(state: HandState, item: str, *, where: str = "") -> Action:
    """Play one action in words (``fold``, ``check``, ``call``, ``all-in``, ``bet N``, ``raise 2.5bb``) on ``state``.

    Raises ActionTextError (one line, prefixed with ``where``) when it cannot be read or is not legal now.
    """
    item = " ".join(item.strip().lower().split())
    prefix = f"{where}: " if where else ""
    match = _ITEM.match(item)
    if match is None:
        raise ActionTextError(f"{prefix}expected fold, check, call, all-in, bet N or raise N [bb]")
    verb, amount = match["verb"], match["amount"]
    if state.actor is None:
        raise ActionTextError(f"{prefix}the hand is already over")
    game = state.game
    try:
        if verb in _NO_AMOUNT and amount is None:
            kind = _NO_AMOUNT[verb]
            if kind == "fold":
                return state.fold()
            if kind == "call":
                if verb == "check" and state.to_call() > 0:
                    raise ActionTextError(f"{prefix}cannot check facing a bet of {state.to_call()} more chips")
                return state.check_or_call()
            high = state.max_raise_to()
            if high is None:
                raise ActionTextError(f"{prefix}no bet or raise is allowed here")
            return state.bet_or_raise(high)
        if verb in _WITH_AMOUNT and amount is None and game.is_limit:
            low = state.min_raise_to()
            if low is None:
                raise ActionTextError(f"{prefix}no bet or raise is allowed here")
            return state.bet_or_raise(low)
        if verb in _WITH_AMOUNT and amount is not None:
            chips = float(amount) * (game.big_blind if match["bb"] else 1)
            if chips != int(chips):
                raise ActionTextError(f"{prefix}{chips:g} is not a whole number of chips")
            return state.bet_or_raise(int(chips))
        raise ActionTextError(f"{prefix}expected fold, check, call, all-in, bet N or raise N [bb]")
    except ActionTextError:
        raise
    except ValueError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ActionTextError(f"{prefix}{detail}") from None


def _amount(chips: int, unit: str, unit_chips: int) -> str:
    units = chips / unit_chips
    short = "bb" if unit == "big blind" else unit + ("s" if units != 1 else "")
    return f"{chips} ({units:g} {short})"


def describe_option(option: ActionOption, unit: str, unit_chips: int) -> str:
    """An action as a player says it: ``fold``, ``check``, ``call 200 (2 bb)``, ``raise to 750 (7.5 bb)``."""
    if option.kind in ("fold", "check"):
        text = option.kind
    elif option.kind == "call":
        text = f"call {_amount(option.chips, unit, unit_chips)}"
    else:
        text = f"{option.kind} to {_amount(option.to, unit, unit_chips)}"
    return text + (", all-in" if option.all_in else "")
