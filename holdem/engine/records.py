"""Immutable records of a hand and the engine's errors."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class IllegalActionError(ValueError):
    """An action the rules forbid in the current state; the message names the rule."""


class ActionKind(StrEnum):
    """Kinds of betting actions, valued by their ACPC letter."""

    FOLD = "f"
    CHECK_OR_CALL = "c"
    BET_OR_RAISE = "r"


class Action(NamedTuple):
    """One betting action: who, what, the chips it moved and where it left the seat.

    ``amount`` is the chips this action moved from the stack to the pot; ``to_street`` the seat's
    bet in this street afterwards (the "raise to" amount); ``to_total`` its contribution to the
    whole hand afterwards, antes and blinds included (the ACPC ``r<amount>``).
    """

    seat: int
    kind: ActionKind
    amount: int
    to_street: int
    to_total: int
    street: int

    @property
    def acpc(self) -> str:
        """ACPC token: ``f``, ``c`` or ``r<to_total>``."""
        if self.kind is ActionKind.BET_OR_RAISE:
            return f"r{self.to_total}"
        return self.kind.value
