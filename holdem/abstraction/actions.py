"""Action abstraction: which bet and raise sizes the abstract no-limit game offers.

Sizes are fractions of the pot after calling (a raise of fraction f adds f × (pot + to_call) on top of
the current bet). A size below the legal minimum raise is moved up to the minimum raise; a size at or
above the acting seat's stack becomes all-in; duplicates collapse. Raise depth counts the voluntary
bets and raises already made in the street (forced blinds do not count): 0 is the opening bet
(preflop: the open over the blinds), 1 the first raise, and the last listed depth repeats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

STREET_NAMES = ("preflop", "flop", "turn", "river")
ACTIONS_DIR = Path(__file__).resolve().parents[2] / "configs" / "actions"
_KEYS = ("name", "bet_sizes", "preflop_open_bb", "all_in", "max_raises", "max_depth", "limp", "max_callers")


def _street_index(key: object) -> int:
    if isinstance(key, bool):
        raise ValueError(f"street key {key!r} is not a street name or index")
    if isinstance(key, int) and 0 <= key < len(STREET_NAMES):
        return key
    if isinstance(key, str) and key.lower() in STREET_NAMES:
        return STREET_NAMES.index(key.lower())
    raise ValueError(f"street key {key!r} is not one of {list(STREET_NAMES)} or 0..3")


def _fraction(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: {value!r} is not a number")
    if value <= 0:
        raise ValueError(f"{where}: {value!r} must be positive")
    return float(value)


def _per_street_ints(value: object, key: str, *, allow_none: bool) -> tuple[int | None, ...]:
    """A per-street integer setting from an int (all streets), a list, or a street-keyed mapping."""
    def one(v: object, where: str) -> int | None:
        if v is None and allow_none:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{where}: {v!r} must be a non-negative integer")
        return v

    if isinstance(value, Mapping):
        out: list[int | None] = [None] * len(STREET_NAMES)
        for k, v in value.items():
            out[_street_index(k)] = one(v, f"{key}.{k}")
        if not allow_none and any(v is None for v in out):
            missing = [STREET_NAMES[i] for i, v in enumerate(out) if v is None]
            raise ValueError(f"{key}: missing streets {missing}")
        return tuple(out)
    if isinstance(value, list | tuple):
        if not 1 <= len(value) <= len(STREET_NAMES):
            raise ValueError(f"{key}: expected 1..4 per-street values, got {len(value)}")
        vals = [one(v, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(vals + [vals[-1]] * (len(STREET_NAMES) - len(vals)))
    return (one(value, key),) * len(STREET_NAMES)


@dataclass(frozen=True, kw_only=True)
class ActionMenu:
    """A validated, immutable no-limit action abstraction.

    ``bet_sizes[street][depth]`` lists pot fractions at that raise depth (the last depth repeats);
    ``preflop_open_bb`` replaces the preflop depth-0 sizes by opens to X big blinds; ``max_raises``
    caps voluntary bets and raises per street (then only fold/call); ``max_depth[street]``, when set,
    stops offering raises once that many actions have been taken in the street. Two caps keep
    multiway trees small: ``limp=False`` removes the preflop call of the blinds (fold or raise; the
    big blind may still check), and ``max_callers[street]``, when set, lets at most that many seats
    call one bet or raise; later seats facing it may fold or raise.
    """

    name: str
    bet_sizes: tuple[tuple[tuple[float, ...], ...], ...]
    preflop_open_bb: tuple[float, ...] = ()
    all_in: bool = True
    max_raises: tuple[int, ...] = (2, 2, 2, 2)
    max_depth: tuple[int | None, ...] = (None, None, None, None)
    limp: bool = True
    max_callers: tuple[int | None, ...] = (None, None, None, None)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: {self.name!r} must be a non-empty string")
        if len(self.bet_sizes) != len(STREET_NAMES):
            raise ValueError(f"bet_sizes: expected {len(STREET_NAMES)} streets, got {len(self.bet_sizes)}")
        for s, depths in enumerate(self.bet_sizes):
            if not depths:
                raise ValueError(f"bet_sizes.{STREET_NAMES[s]}: needs at least one depth list (may be [])")
            for d, sizes in enumerate(depths):
                for f in sizes:
                    _fraction(f, f"bet_sizes.{STREET_NAMES[s]}[{d}]")
        for x in self.preflop_open_bb:
            _fraction(x, "preflop_open_bb")
            if x <= 1.0:
                raise ValueError(f"preflop_open_bb: {x!r} must exceed 1 big blind")
        if not isinstance(self.all_in, bool):
            raise ValueError(f"all_in: {self.all_in!r} must be true or false")
        if len(self.max_raises) != len(STREET_NAMES) or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in self.max_raises
        ):
            raise ValueError(f"max_raises: {self.max_raises!r} must be 4 non-negative integers")
        if len(self.max_depth) != len(STREET_NAMES) or any(
            v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0) for v in self.max_depth
        ):
            raise ValueError(f"max_depth: {self.max_depth!r} must be 4 non-negative integers or null")
        if not isinstance(self.limp, bool):
            raise ValueError(f"limp: {self.limp!r} must be true or false")
        if len(self.max_callers) != len(STREET_NAMES) or any(
            v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1)
            for v in self.max_callers
        ):
            raise ValueError(f"max_callers: {self.max_callers!r} must be 4 positive integers or null")

    def sizes(self, street: int, depth: int) -> tuple[float, ...]:
        """Pot fractions offered at a street and raise depth (the last listed depth repeats)."""
        depths = self.bet_sizes[street]
        return depths[min(depth, len(depths) - 1)]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ActionMenu:
        """Validate a plain mapping (as loaded from YAML); raises ValueError naming the bad key/value."""
        if not isinstance(d, Mapping):
            raise ValueError(f"an action menu must be a mapping, got {type(d).__name__}")
        unknown = [k for k in d if k not in _KEYS]
        if unknown:
            raise ValueError(f"unknown action-menu key(s) {unknown}: expected some of {list(_KEYS)}")
        if "bet_sizes" not in d:
            raise ValueError("bet_sizes: missing (a mapping from street to lists of pot fractions per depth)")
        raw = d["bet_sizes"]
        if not isinstance(raw, Mapping):
            raise ValueError("bet_sizes: expected a mapping street -> list of per-depth lists")
        per_street: list[tuple[tuple[float, ...], ...] | None] = [None] * len(STREET_NAMES)
        for key, depths in raw.items():
            s = _street_index(key)
            where = f"bet_sizes.{STREET_NAMES[s]}"
            if not isinstance(depths, list | tuple) or not depths:
                raise ValueError(f"{where}: expected a non-empty list of per-depth lists, got {depths!r}")
            if all(isinstance(x, int | float) and not isinstance(x, bool) for x in depths):
                depths = [depths]
            rows = []
            for i, sizes in enumerate(depths):
                if not isinstance(sizes, list | tuple):
                    raise ValueError(f"{where}[{i}]: expected a list of pot fractions, got {sizes!r}")
                rows.append(tuple(sorted({_fraction(x, f"{where}[{i}]") for x in sizes})))
            per_street[s] = tuple(rows)
        missing = [STREET_NAMES[i] for i, v in enumerate(per_street) if v is None]
        if missing:
            raise ValueError(f"bet_sizes: missing streets {missing} (use [[]] for all-in only)")
        opens = d.get("preflop_open_bb") or ()
        if not isinstance(opens, list | tuple):
            opens = (opens,)
        all_in = d.get("all_in", True)
        return cls(
            name=str(d.get("name", "custom")),
            bet_sizes=tuple(per_street),  # type: ignore[arg-type]
            preflop_open_bb=tuple(sorted({_fraction(x, "preflop_open_bb") for x in opens})),
            all_in=all_in,
            max_raises=_per_street_ints(d.get("max_raises", 2), "max_raises", allow_none=False),  # type: ignore[arg-type]
            max_depth=_per_street_ints(d.get("max_depth"), "max_depth", allow_none=True),
            limp=d.get("limp", True),
            max_callers=_per_street_ints(d.get("max_callers"), "max_callers", allow_none=True),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data that ``from_dict`` accepts and that round-trips exactly."""
        return {
            "name": self.name,
            "bet_sizes": {STREET_NAMES[s]: [list(x) for x in rows] for s, rows in enumerate(self.bet_sizes)},
            "preflop_open_bb": list(self.preflop_open_bb),
            "all_in": self.all_in,
            "max_raises": list(self.max_raises),
            "max_depth": list(self.max_depth),
            "limp": self.limp,
            "max_callers": list(self.max_callers),
        }


def builtin_menus() -> list[str]:
    """Names of the action menus shipped in ``configs/actions``."""
    return sorted(p.stem for p in ACTIONS_DIR.glob("*.yaml"))


def load_menu(name_or_path: str | Path) -> ActionMenu:
    """A shipped menu by name (``tiny``, ``quick``, ``mid``) or a YAML file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml") and not path.exists():
        path = ACTIONS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise ValueError(f"unknown action menu {str(name_or_path)!r}: expected one of {builtin_menus()}")
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read action menu: {exc}".splitlines()[0]) from None
    if isinstance(data, Mapping) and "name" not in data:
        data = {**data, "name": path.stem}
    try:
        return ActionMenu.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None

