"""ACPC betting strings: ``f``, ``c``, ``r<total>`` tokens, rounds separated by ``/``.

``r<total>`` is the raiser's whole contribution to the hand after the raise, antes and blinds
included (the ACPC no-limit convention); limit games may write a bare ``r``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from holdem.engine.records import Action, IllegalActionError

_TOKEN = re.compile(r"f|c|r\d*")


def parse_acpc_token(token: str) -> tuple[str, int | None]:
    """``("f", None)``, ``("c", None)``, ``("r", total)`` or ``("r", None)`` for a bare limit raise."""
    if _TOKEN.fullmatch(token) is None:
        raise IllegalActionError(f"bad ACPC action {token!r}: expected f, c, r or r<total chips>")
    return token[0], int(token[1:]) if len(token) > 1 else None


def parse_acpc_history(text: str) -> list[list[str]]:
    """Tokens of each round of a betting string such as ``"r300c/cr900f"``."""
    rounds: list[list[str]] = []
    for segment in text.strip().split("/"):
        tokens: list[str] = []
        pos = 0
        while pos < len(segment):
            match = _TOKEN.match(segment, pos)
            if match is None:
                raise IllegalActionError(
                    f"bad ACPC history {text!r}: unexpected {segment[pos]!r} in round {len(rounds)}"
                )
            tokens.append(match.group())
            pos = match.end()
        rounds.append(tokens)
    return rounds


def format_acpc_history(actions: Iterable[Action], last_street: int) -> str:
    """Betting string of actions through round ``last_street`` (a ``/`` ends each earlier round)."""
    rounds: list[list[str]] = [[] for _ in range(last_street + 1)]
    for action in actions:
        rounds[action.street].append(action.acpc)
    return "/".join("".join(tokens) for tokens in rounds)
