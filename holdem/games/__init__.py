"""Game definitions: the typed :class:`GameDef`, ACPC ``GAMEDEF`` files, and the shipped games.

Owns the rules' parameters (players, blinds, stacks, deck, rounds) and the unit results are reported in.
"""

from __future__ import annotations

from pathlib import Path

from holdem.games.acpc import format_gamedef, parse_gamedef, read_gamedef, write_gamedef
from holdem.games.gamedef import Betting, GameDef, GameDefError, chip_unit

GAMES_DIR = Path(__file__).resolve().parents[2] / "configs" / "games"


def builtin_games() -> list[str]:
    """Names of the game definitions shipped in ``configs/games``."""
    return sorted(p.stem for p in GAMES_DIR.glob("*.game"))


def load_game(name_or_path: str | Path) -> GameDef:
    """A shipped game by name (``kuhn``, ``leduc``, ``hunl``, ``6max``) or an ACPC file by path."""
    path = Path(name_or_path)
    if path.suffix == ".game" or path.exists():
        return read_gamedef(path)
    candidate = GAMES_DIR / f"{name_or_path}.game"
    if candidate.exists():
        return read_gamedef(candidate)
    raise GameDefError(
        f"unknown game {str(name_or_path)!r}: expected one of {builtin_games()} or a .game file"
    )


__all__ = [
    "Betting", "GameDef", "GameDefError", "builtin_games", "chip_unit", "format_gamedef", "load_game", "parse_gamedef",
    "read_gamedef", "write_gamedef",
]
