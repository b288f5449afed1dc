"""Exact poker rules for any game definition: betting, side pots, showdown, payoffs, and a seat's view.

``HandState`` is the state machine (see ``holdem.engine.state``); ``holdem.engine.seat`` is what a player sees.
"""

from holdem.engine.acpc import format_acpc_history, parse_acpc_history
from holdem.engine.pots import Pot, award_pots, build_pots
from holdem.engine.records import Action, ActionKind, IllegalActionError
from holdem.engine.state import HandState

__all__ = [
    "Action", "ActionKind", "HandState", "IllegalActionError", "Pot", "award_pots", "build_pots",
    "format_acpc_history", "parse_acpc_history",
]
