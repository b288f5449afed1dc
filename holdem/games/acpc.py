"""Read and write ACPC-style game definitions (``GAMEDEF ... END GAMEDEF``).

Beyond the ACPC keys, ``ante = a1 a2 ...`` and ``name = ...`` are accepted. ``firstPlayer`` is
1-based in files, as in ACPC, and 0-based in :class:`GameDef`.
"""

from __future__ import annotations

from pathlib import Path

from holdem.games.gamedef import LIMIT_STACK, Betting, GameDef, GameDefError

_INT_LIST_KEYS = {
    "stack": "stack",
    "blind": "blind",
    "ante": "ante",
    "raisesize": "raise_size",
    "firstplayer": "first_player",
    "maxraises": "max_raises",
    "numboardcards": "num_board_cards",
}
_INT_KEYS = {
    "numplayers": "num_players",
    "numrounds": "num_rounds",
    "numsuits": "num_suits",
    "numranks": "num_ranks",
    "numholecards": "num_hole_cards",
}
_REQUIRED = ("num_players", "num_rounds", "first_player", "num_suits", "num_ranks", "num_hole_cards",
             "num_board_cards")


def parse_gamedef(text: str, *, source: str = "<string>", name: str | None = None) -> GameDef:
    """Parse one ACPC game definition; raises :class:`GameDefError` naming the line at fault."""
    lines = [(i + 1, ln.split("#", 1)[0].strip()) for i, ln in enumerate(text.splitlines())]
    lines = [(i, ln) for i, ln in lines if ln]
    if not lines or lines[0][1].upper() != "GAMEDEF":
        raise GameDefError(f"{source}: a game definition starts with a GAMEDEF line")
    if lines[-1][1].upper() != "END GAMEDEF":
        raise GameDefError(f"{source}: the game definition has no END GAMEDEF line")
    values: dict[str, object] = {}
    betting: Betting | None = None
    for lineno, line in lines[1:-1]:
        low = line.lower()
        if low in ("limit", "nolimit"):
            betting = Betting(low)
            continue
        if low == "potlimit":
            raise GameDefError(f"{source}:{lineno}: pot-limit betting is not supported")
        if "=" not in line:
            raise GameDefError(f"{source}:{lineno}: expected 'key = value', got {line!r}")
        key, _, raw = (part.strip() for part in line.partition("="))
        lkey = key.lower()
        try:
            if lkey in _INT_LIST_KEYS:
                values[_INT_LIST_KEYS[lkey]] = tuple(int(tok) for tok in raw.split())
            elif lkey in _INT_KEYS:
                values[_INT_KEYS[lkey]] = int(raw)
            elif lkey == "name":
                values["name"] = raw
            else:
                raise GameDefError(f"{source}:{lineno}: unknown key {key!r}")
        except ValueError as exc:
            if isinstance(exc, GameDefError):
                raise
            raise GameDefError(f"{source}:{lineno}: {key} expects integers, got {raw!r}") from None
    missing = [k for k in _REQUIRED if k not in values]
    if betting is None:
        missing.insert(0, "limit|nolimit")
    if missing:
        raise GameDefError(f"{source}: missing {', '.join(missing)}")
    n = int(values["num_players"])  # type: ignore[arg-type]
    first = tuple(p - 1 for p in values["first_player"])  # type: ignore[union-attr]
    stack = values.get("stack", (LIMIT_STACK,) * n if betting is Betting.LIMIT else None)
    if stack is None:
        raise GameDefError(f"{source}: a no-limit game needs stack values")
    if len(stack) == 1 and n > 1:  # type: ignore[arg-type]
        stack = stack * n  # type: ignore[operator]
    try:
        return GameDef(
            name=str(values.get("name", name or Path(source).stem)),
            betting=betting,
            num_players=n,
            num_rounds=int(values["num_rounds"]),  # type: ignore[arg-type]
            stack=tuple(stack),  # type: ignore[arg-type]
            blind=tuple(values.get("blind", (0,) * n)),  # type: ignore[arg-type]
            ante=tuple(values.get("ante", (0,) * n)),  # type: ignore[arg-type]
            first_player=first,
            num_suits=int(values["num_suits"]),  # type: ignore[arg-type]
            num_ranks=int(values["num_ranks"]),  # type: ignore[arg-type]
            num_hole_cards=int(values["num_hole_cards"]),  # type: ignore[arg-type]
            num_board_cards=tuple(values["num_board_cards"]),  # type: ignore[arg-type]
            raise_size=tuple(values.get("raise_size", ())),  # type: ignore[arg-type]
            max_raises=tuple(values.get("max_raises", ())),  # type: ignore[arg-type]
        )
    except GameDefError as exc:
        raise GameDefError(f"{source}: {exc}") from None


def format_gamedef(game: GameDef) -> str:
    """ACPC text for a game; ``parse_gamedef(format_gamedef(g)) == g``."""

    def ints(xs: tuple[int, ...]) -> str:
        return " ".join(str(x) for x in xs)

    lines = ["GAMEDEF", game.betting.value, f"name = {game.name}", f"numPlayers = {game.num_players}",
             f"numRounds = {game.num_rounds}"]
    if not (game.is_limit and all(s == LIMIT_STACK for s in game.stack)):
        lines.append(f"stack = {ints(game.stack)}")
    lines.append(f"blind = {ints(game.blind)}")
    if any(game.ante):
        lines.append(f"ante = {ints(game.ante)}")
    if game.is_limit:
        lines.append(f"raiseSize = {ints(game.raise_size)}")
        lines.append(f"maxRaises = {ints(game.max_raises)}")
    lines += [
        f"firstPlayer = {ints(tuple(p + 1 for p in game.first_player))}",
        f"numSuits = {game.num_suits}",
        f"numRanks = {game.num_ranks}",
        f"numHoleCards = {game.num_hole_cards}",
        f"numBoardCards = {ints(game.num_board_cards)}",
        "END GAMEDEF",
    ]
    return "\n".join(lines) + "\n"


def read_gamedef(path: str | Path) -> GameDef:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise GameDefError(f"cannot read game definition {path}: {exc.strerror}") from None
    return parse_gamedef(text, source=str(path))


def write_gamedef(game: GameDef, path: str | Path) -> None:
    Path(path).write_text(format_gamedef(game))
