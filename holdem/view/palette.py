"""One colour per action, as solver tools show them: fold blue, check/call green, bets red darkening with size."""

from __future__ import annotations

from collections.abc import Sequence

from holdem.policy.policy import ActionOption

FOLD = "#4a7fc1"
CALL = "#5aae61"
RAISES = ("#f4a259", "#e4572e", "#bf3b2c", "#8e2424", "#5e1616")
ALL_IN = "#5b2a6e"
EMPTY = "#d9d9d9"


def action_colours(actions: Sequence[ActionOption]) -> list[str]:
    """A colour per action; bets and raises take darker reds as they grow, an all-in takes purple."""
    raises = sorted({a.to for a in actions if a.kind in ("bet", "raise") and not a.all_in})
    out = []
    for action in actions:
        if action.kind == "fold":
            out.append(FOLD)
        elif action.kind in ("check", "call"):
            out.append(CALL)
        elif action.all_in:
            out.append(ALL_IN)
        else:
            out.append(RAISES[min(raises.index(action.to), len(RAISES) - 1)])
    return out


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as integers."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
