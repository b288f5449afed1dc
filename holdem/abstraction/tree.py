"""The abstract betting tree compiled into flat arrays that the MCCFR kernels index directly.

Layout (see ``docs/kernel-contracts.md``): node 0 is the root; a node's children are one contiguous
block, allocated when the node is expanded in depth-first pre-order, so a parent's index is always
below its children's. Limit games compile from their ``GameDef``; no-limit games need an
:class:`ActionMenu`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.actions import ActionMenu
from holdem.games import GameDef, format_gamedef, parse_gamedef

DECISION, CHANCE, FOLD, SHOWDOWN = 0, 1, 2, 3
KIND_NAMES = ("decision", "chance", "fold", "showdown")
EDGE_FOLD, EDGE_CALL, EDGE_RAISE, EDGE_NONE = 0, 1, 2, -1
FORMAT_VERSION = 1
TABLES_PER_ROW = 2
BYTES_PER_ENTRY = 4

_ARRAYS = ("kind", "player", "street", "first_child", "num_children", "contrib", "active", "row_offset",
           "depth_in_street", "edge_kind", "edge_amount")
_TOKEN = re.compile(r"f|c|r\d*|/")


class TreeError(ValueError):
    """A game/menu/bucket combination that cannot be compiled, or a history not in the tree."""


class TreeFileError(ValueError):
    """A tree file that is missing, truncated, corrupt or of another format version."""


@dataclass(frozen=True, eq=False)
class BettingTree:
    """Structure-of-arrays betting tree plus the inputs it was compiled from."""

    game: GameDef
    menu: ActionMenu | None
    num_buckets: tuple[int, ...]
    kind: np.ndarray
    player: np.ndarray
    street: np.ndarray
    first_child: np.ndarray
    num_children: np.ndarray
    contrib: np.ndarray
    active: np.ndarray
    row_offset: np.ndarray
    depth_in_street: np.ndarray
    edge_kind: np.ndarray
    edge_amount: np.ndarray

    @property
    def num_nodes(self) -> int:
        return int(self.kind.shape[0])

    @property
    def num_players(self) -> int:
        return self.game.num_players

    @functools.cached_property
    def max_actions(self) -> int:
        """Most children of any decision node (computed once: the arrays never change)."""
        dec = self.kind == DECISION
        return int(self.num_children[dec].max()) if dec.any() else 0

    @functools.cached_property
    def num_rows(self) -> int:
        """Table rows of the tree's own bucket counts (computed once: hot paths ask for it per result)."""
        return self.rows_for(self.num_buckets)

    def decisions_per_street(self) -> np.ndarray:
        """Number of decision nodes in each round (int64 [num_rounds])."""
        dec = self.kind == DECISION
        return np.bincount(self.street[dec], minlength=self.game.num_rounds).astype(np.int64)

    def rows_for(self, num_buckets: Sequence[int]) -> int:
        """Total table rows if round r had ``num_buckets[r]`` buckets."""
        nb = _check_buckets(self.game, num_buckets)
        return int(self.decisions_per_street() @ np.asarray(nb, dtype=np.int64))

    def projected_table_bytes(self, num_buckets: Sequence[int] | None = None) -> int:
        """Bytes of the float32 regret and strategy-sum tables, before anything is allocated."""
        nb = self.num_buckets if num_buckets is None else num_buckets
        return self.rows_for(nb) * self.max_actions * BYTES_PER_ENTRY * TABLES_PER_ROW

    def children(self, node: int) -> range:
        first = int(self.first_child[node])
        return range(first, first + int(self.num_children[node])) if first >= 0 else range(0)

    def parents(self) -> np.ndarray:
        """Parent index of every node (-1 at the root), int32 [N], computed once and read-only."""
        cached = self.__dict__.get("_parents")
        if cached is not None:
            return cached
        parent = np.full(self.num_nodes, -1, dtype=np.int32)
        has = self.first_child >= 0
        src = np.nonzero(has)[0].astype(np.int32)
        counts = self.num_children[has].astype(np.int64)
        starts = self.first_child[has].astype(np.int64)
        idx = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        parent[idx] = np.repeat(src, counts)
        parent.flags.writeable = False
        object.__setattr__(self, "_parents", parent)
        return parent

    def label(self, node: int) -> str:
        """ACPC label of the edge into ``node`` (``f``, ``c``, ``r<to-amount>``); '' after a deal."""
        ek = int(self.edge_kind[node])
        if ek == EDGE_FOLD:
            return "f"
        if ek == EDGE_CALL:
            return "c"
        if ek == EDGE_RAISE:
            return f"r{int(self.edge_amount[node])}"
        return ""

    def path_to(self, node: int) -> list[str]:
        """ACPC labels from the root to ``node``, with ``/`` where a new round starts."""
        parent = self.parents()
        out: list[str] = []
        i = int(node)
        if not 0 <= i < self.num_nodes:
            raise TreeError(f"node {node} out of range 0..{self.num_nodes - 1}")
        while i > 0:
            p = int(parent[i])
            out.append("/" if self.kind[p] == CHANCE else self.label(i))
            i = p
        return out[::-1]

    def history(self, node: int) -> str:
        """The ACPC betting string of ``node``, such as ``r250c/cr500``."""
        return "".join(self.path_to(node))

    def find(self, history: str) -> int:
        """Node reached by an ACPC betting string (bare ``r`` allowed in limit games)."""
        text = history.strip()
        tokens = _TOKEN.findall(text)
        if "".join(tokens) != text:
            raise TreeError(f"bad ACPC history {history!r}: expected tokens f, c, r<amount> and /")
        node = 0
        for pos, tok in enumerate(tokens):
            if tok == "/":
                if self.kind[node] != CHANCE:
                    raise TreeError(f"history {history!r}: '/' at token {pos} but the round is not over")
                node = int(self.first_child[node])
                continue
            if self.kind[node] != DECISION:
                where = KIND_NAMES[self.kind[node]]
                raise TreeError(f"history {history!r}: token {pos} ({tok!r}) at a {where} node")
            for child in self.children(node):
                lab = self.label(child)
                if lab == tok or (tok == "r" and self.game.is_limit and lab.startswith("r")):
                    node = child
                    break
            else:
                offered = [self.label(c) for c in self.children(node)]
                raise TreeError(f"history {history!r}: {tok!r} is not in the abstraction (offers {offered})")
        return node

    def summary(self) -> dict[str, Any]:
        """Node counts per round and kind, decision nodes per seat, rows, actions and projected bytes."""
        per_street = {}
        for r in range(self.game.num_rounds):
            in_r = self.street == r
            per_street[r] = {KIND_NAMES[k]: int(np.count_nonzero(in_r & (self.kind == k))) for k in range(4)}
        dec = self.kind == DECISION
        return {
            "game": self.game.name,
            "menu": self.menu.name if self.menu is not None else None,
            "num_nodes": self.num_nodes,
            "nodes_by_kind": {KIND_NAMES[k]: int(np.count_nonzero(self.kind == k)) for k in range(4)},
            "nodes_by_street": per_street,
            "decisions_by_player": np.bincount(self.player[dec], minlength=self.num_players).tolist(),
            "max_actions": self.max_actions,
            "num_buckets": list(self.num_buckets),
            "num_rows": self.num_rows,
            "projected_table_bytes": self.projected_table_bytes(),
            "tree_bytes": self.nbytes,
        }

    @property
    def nbytes(self) -> int:
        return sum(int(getattr(self, name).nbytes) for name in _ARRAYS)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in _ARRAYS}

    def _inputs_json(self) -> str:
        return json.dumps({
            "game": format_gamedef(self.game),
            "menu": self.menu.to_dict() if self.menu is not None else None,
            "num_buckets": list(self.num_buckets),
        }, sort_keys=True)

    def content_hash(self) -> str:
        """sha256 (hex) of every array and of the game, menu and bucket counts."""
        return _digest(self.arrays(), self._inputs_json())

    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` with a format version and the content hash (no pickled objects)."""
        meta = json.dumps({"format_version": FORMAT_VERSION, "inputs": self._inputs_json(),
                           "sha256": self.content_hash()})
        buf = io.BytesIO()
        np.savez(buf, meta=np.frombuffer(meta.encode(), dtype=np.uint8), **self.arrays())
        Path(path).write_bytes(buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> BettingTree:
        """Read a file written by :meth:`save`; raises TreeFileError with one clear line if unusable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                version = meta.get("format_version")
                if version != FORMAT_VERSION:
                    raise TreeFileError(f"{path}: tree format version {version!r}, expected {FORMAT_VERSION}")
                arrays = {name: np.array(data[name]) for name in _ARRAYS}
            inputs_json = meta["inputs"]
            if _digest(arrays, inputs_json) != meta["sha256"]:
                raise TreeFileError(f"{path}: checksum mismatch, the tree file is corrupt")
            inputs = json.loads(inputs_json)
            game = parse_gamedef(inputs["game"], source=str(path))
            menu = ActionMenu.from_dict(inputs["menu"]) if inputs["menu"] is not None else None
            nb = tuple(int(x) for x in inputs["num_buckets"])
            return cls(game=game, menu=menu, num_buckets=nb, **arrays)
        except TreeFileError:
            raise
        except FileNotFoundError:
            raise TreeFileError(f"{path}: no such tree file") from None
        except (OSError, EOFError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise TreeFileError(f"{path}: not a readable tree file ({detail})") from None


def _digest(arrays: dict[str, np.ndarray], inputs_json: str) -> str:
    h = hashlib.sha256()
    h.update(inputs_json.encode())
    for name in _ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"|{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def _check_buckets(game: GameDef, num_buckets: Sequence[int]) -> tuple[int, ...]:
    nb = tuple(int(x) for x in num_buckets)
    if len(nb) != game.num_rounds or any(x < 1 for x in nb):
        raise TreeError(f"num_buckets needs {game.num_rounds} positive values (one per round), got {nb}")
    return nb


class _Node:
    """Betting state reached at a node: what the next expansion needs, nothing else."""

    __slots__ = ("c", "base", "folded", "queue", "acted", "full_raise", "raises", "short", "depth", "callers")

    def __init__(self, c: tuple[int, ...], base: tuple[int, ...], folded: int, queue: tuple[int, ...],
                 acted: int, full_raise: int, raises: int, short: int, depth: int, callers: int) -> None:
        self.c = c
        self.base = base
        self.folded = folded
        self.queue = queue
        self.acted = acted
        self.full_raise = full_raise
        self.raises = raises
        self.short = short
        self.depth = depth
        self.callers = callers


class _Builder:
    """Iterative expansion of the betting game into flat lists, one entry per node.

    The betting rules mirror :class:`holdem.engine.HandState` (actor queue, minimum raise, short
    all-ins that do not reopen the betting, limit caps); the menu only removes actions.
    """

    def __init__(self, game: GameDef, menu: ActionMenu | None) -> None:
        self.game = game
        self.menu = menu
        self.n = game.num_players
        self.last_round = game.num_rounds - 1
        self.stack = game.stack
        self.bb = game.big_blind
        self.step = game.raise_size if game.is_limit else (game.min_bet,) * game.num_rounds
        self.cap = game.max_raises if game.is_limit else menu.max_raises  # type: ignore[union-attr]
        self.kind: list[int] = []
        self.player: list[int] = []
        self.street: list[int] = []
        self.first_child: list[int] = []
        self.num_children: list[int] = []
        self.contrib: list[tuple[int, ...]] = []
        self.active: list[int] = []
        self.depth: list[int] = []
        self.edge_kind: list[int] = []
        self.edge_amount: list[int] = []

    def add(self, kind: int, player: int, street: int, c: tuple[int, ...], folded: int, depth: int,
            edge_kind: int, edge_amount: int) -> int:
        self.kind.append(kind)
        self.player.append(player)
        self.street.append(street)
        self.first_child.append(-1)
        self.num_children.append(0)
        self.contrib.append(c)
        self.active.append(((1 << self.n) - 1) & ~folded)
        self.depth.append(depth)
        self.edge_kind.append(edge_kind)
        self.edge_amount.append(edge_amount)
        return len(self.kind) - 1

    def open_round(self, street: int, c: tuple[int, ...], base: tuple[int, ...], folded: int
                   ) -> tuple[int, ...]:
        """Seats that act in a new round, in order; empty when nobody needs to."""
        n, stack = self.n, self.stack
        totals = sorted(stack[s] - base[s] for s in range(n) if not folded >> s & 1)
        callable_total = totals[-2]
        first = self.game.first_player[street]
        queue = tuple(
            s for s in ((first + k) % n for k in range(n))
            if not folded >> s & 1 and c[s] < stack[s] and callable_total > c[s] - base[s]
        )
        if len(queue) == 1:
            s = queue[0]
            if c[s] - base[s] >= max(c[q] - base[q] for q in range(n)):
                return ()
        return queue

    def place(self, street: int, st: _Node, edge_kind: int, amount: int) -> tuple[int, _Node]:
        """Allocate the node reached with state ``st`` (rounds ended already advanced)."""
        folded = st.folded
        if bin(folded).count("1") == self.n - 1:
            return self.add(FOLD, -1, street, st.c, folded, st.depth, edge_kind, amount), st
        if st.queue:
            return self.add(DECISION, st.queue[0], street, st.c, folded, st.depth, edge_kind, amount), st
        if street == self.last_round:
            return self.add(SHOWDOWN, -1, street, st.c, folded, st.depth, edge_kind, amount), st
        return self.add(CHANCE, -1, street + 1, st.c, folded, 0, edge_kind, amount), st

    def build(self) -> None:
        game = self.game
        base = tuple(min(a, s) for a, s in zip(game.ante, game.stack))
        c0 = tuple(min(a + b, s) for a, b, s in zip(game.ante, game.blind, game.stack))
        queue = self.open_round(0, c0, base, 0)
        if not queue:
            raise TreeError(f"{game.name}: no seat can act after the forced bets")
        root = self.add(DECISION, queue[0], 0, c0, 0, 0, EDGE_NONE, 0)
        stack: list[tuple[int, _Node]] = [(root, _Node(c0, base, 0, queue, 0, 0, 0, 0, 0, 0))]
        while stack:
            node, st = stack.pop()
            kind = self.kind[node]
            if kind == DECISION:
                self.expand_decision(node, st, stack)
            elif kind == CHANCE:
                self.expand_chance(node, st, stack)

    def expand_chance(self, node: int, st: _Node, stack: list[tuple[int, _Node]]) -> None:
        s = self.street[node]
        queue = self.open_round(s, st.c, st.c, st.folded)
        nxt = _Node(st.c, st.c, st.folded, queue, 0, 0, 0, 0, 0, 0)
        child, _ = self.place(s, nxt, EDGE_NONE, 0)
        self.first_child[node] = child
        self.num_children[node] = 1
        stack.append((child, nxt))

    def expand_decision(self, node: int, st: _Node, stack: list[tuple[int, _Node]]) -> None:
        s = self.street[node]
        p = self.player[node]
        c, base, n = st.c, st.base, self.n
        cap = self.stack[p]
        bet_p = c[p] - base[p]
        max_bet = max(c[q] - base[q] for q in range(n))
        facing = bet_p < max_bet
        menu = self.menu
        rest = st.queue[1:]
        depth = st.depth + 1
        first = len(self.kind)
        pushes: list[tuple[int, _Node]] = []
        if facing:
            f2 = st.folded | 1 << p
            nxt = _Node(c, base, f2, rest, st.acted | 1 << p, st.full_raise, st.raises, st.short, depth,
                        st.callers)
            pushes.append(self.place(s, nxt, EDGE_FOLD, c[p]))
        call_to = min(base[p] + max_bet, cap)
        call_ok = not facing or menu is None or (
            (menu.limp or s > 0 or st.raises > 0)
            and (menu.max_callers[s] is None or st.callers < menu.max_callers[s])
        )
        if call_ok:
            cc = c[:p] + (call_to,) + c[p + 1:]
            nxt = _Node(cc, base, st.folded, rest, st.acted | 1 << p, st.full_raise, st.raises, st.short,
                        depth, st.callers + facing)
            pushes.append(self.place(s, nxt, EDGE_CALL, call_to))
        for t in self.raise_targets(s, p, st, max_bet):
            rc = c[:p] + (t,) + c[p + 1:]
            increment = t - base[p] - max_bet
            queue = tuple(q for q in ((p + k) % n for k in range(1, n))
                          if not st.folded >> q & 1 and rc[q] < self.stack[q])
            acted = (0 if increment >= st.full_raise else st.acted) | 1 << p
            full_raise = max(st.full_raise, increment)
            if t < cap:
                short = 0
            else:
                short = st.short + increment
                if short >= full_raise:
                    short = 0
            nxt = _Node(rc, base, st.folded, queue, acted, full_raise, st.raises + 1, short, depth, 0)
            pushes.append(self.place(s, nxt, EDGE_RAISE, t))
        self.first_child[node] = first
        self.num_children[node] = len(self.kind) - first
        stack.extend(reversed(pushes))

    def raise_targets(self, s: int, p: int, st: _Node, max_bet: int) -> list[int]:
        """Sorted distinct to-amounts (total contributions) of the bets/raises seat ``p`` may make."""
        c, base, n = st.c, st.base, self.n
        cap = self.stack[p]
        need = base[p] + max_bet - c[p]
        if st.raises >= self.cap[s] or cap - c[p] <= need or need < st.full_raise:
            return []
        if st.short and st.short < st.full_raise and st.acted >> p & 1:
            return []
        if not any(q != p and not st.folded >> q & 1 and self.stack[q] - base[q] > max_bet for q in range(n)):
            return []
        step = self.step[s]
        min_to = min(base[p] + max_bet + (st.full_raise if st.full_raise > step else step), cap)
        if self.game.is_limit:
            return [min_to]
        menu = self.menu
        assert menu is not None
        if menu.max_depth[s] is not None and st.depth >= menu.max_depth[s]:
            return []
        if s == 0 and st.raises == 0 and menu.preflop_open_bb:
            wanted = [base[p] + int(x * self.bb + 0.5) for x in menu.preflop_open_bb]
        else:
            pot_after_call = sum(c) + need
            wanted = [base[p] + max_bet + int(f * pot_after_call + 0.5) for f in menu.sizes(s, st.raises)]
        targets = {min(max(t, min_to), cap) for t in wanted}
        if menu.all_in:
            targets.add(cap)
        return sorted(targets)


def build_tree(game: GameDef, menu: ActionMenu | None, num_buckets: Sequence[int]) -> BettingTree:
    """Compile a game and (for no-limit) an action menu into a :class:`BettingTree`."""
    nb = _check_buckets(game, num_buckets)
    if game.is_limit:
        if menu is not None:
            raise TreeError(f"{game.name} is a limit game: its bets come from the game file, pass menu=None")
    elif menu is None:
        raise TreeError(f"{game.name} is a no-limit game: an ActionMenu is required")
    b = _Builder(game, menu)
    b.build()
    kind = np.asarray(b.kind, dtype=np.int8)
    street = np.asarray(b.street, dtype=np.int8)
    dec = kind == DECISION
    rows = np.where(dec, np.asarray(nb, dtype=np.int64)[street], 0)
    row_offset = np.where(dec, np.cumsum(rows) - rows, -1).astype(np.int64)
    contrib = np.asarray(b.contrib, dtype=np.int32).reshape(len(b.contrib), game.num_players)
    return BettingTree(
        game=game,
        menu=menu,
        num_buckets=nb,
        kind=kind,
        player=np.asarray(b.player, dtype=np.int8),
        street=street,
        first_child=np.asarray(b.first_child, dtype=np.int32),
        num_children=np.asarray(b.num_children, dtype=np.int16),
        contrib=contrib,
        active=np.asarray(b.active, dtype=np.int32),
        row_offset=row_offset,
        depth_in_street=np.asarray(b.depth, dtype=np.int16),
        edge_kind=np.asarray(b.edge_kind, dtype=np.int8),
        edge_amount=np.asarray(b.edge_amount, dtype=np.int32),
    )
