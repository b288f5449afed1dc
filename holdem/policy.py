"""A trained blueprint ready to use: loaded and validated, exported compactly, and queried at a table.

A policy is a table of action probabilities with one row per (abstract decision node, card bucket) of
the betting tree it was trained on. Loading checks the file's kind, version and checksum, that the tree
and card abstraction it names are the ones at hand (by content hash) and, when asked, the game. Queries
map a real history onto the tree with pseudo-harmonic translation and state each abstract action as
real chips at the table.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.actions import ActionMenu
from holdem.abstraction.buckets import BucketError, CardAbstraction, bucket_of, lossless_for
from holdem.abstraction.tree import (
    DECISION,
    EDGE_CALL,
    EDGE_FOLD,
    BettingTree,
    TreeFileError,
    build_tree,
)
from holdem.cards import CardError, format_cards, parse_cards
from holdem.engine import HandState
from holdem.evaluation.agents import CHECK_OR_CALL, FOLD, Move, SeatView
from holdem.evaluation.stats import chip_unit
from holdem.fileformat import HEADER_KEY, FileFormatError, load_arrays, save_arrays
from holdem.games import GameDef, GameDefError, format_gamedef, parse_gamedef
from holdem.translation import (
    TranslatedHistory,
    Translation,
    TranslationError,
    abstract_raise_fraction,
    translate_history,
)

AVERAGE_KIND = "average_policy"
AVERAGE_VERSION = 1
COMPACT_KIND = "compact_policy"
COMPACT_VERSION = 1
RUN_POLICY_FILES = ("blueprint.npz", "policy.npz")
STREET_NAMES = ("preflop", "flop", "turn", "river")
TRANSLATION_CACHE_LIMIT = 200_000
BUCKET_CACHE_LIMIT = 500_000
QUANTISE_CHUNK_ROWS = 1 << 20


class PolicyError(ValueError):
    """A policy that cannot be loaded or a question it cannot answer; the message is one line."""


@dataclass(frozen=True, slots=True)
class ActionOption:
    """One real action the policy may take, with its probability and its size in chips and units.

    ``to`` is the seat's bet in this street after the action and ``total`` its chips in the hand (the
    ACPC amount); ``chips`` is what the action adds; ``units`` is ``to`` in big blinds (antes in games
    without blinds). ``abstract`` is the tree action it plays.
    """

    kind: str
    probability: float
    to: int
    total: int
    chips: int
    units: float
    all_in: bool
    acpc: str
    abstract: str
    move: Move


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's mixed action at a real situation and how that situation was mapped onto the tree."""

    seat: int
    street: int
    history: str
    abstract_history: str
    node: int
    bucket: int
    actions: tuple[ActionOption, ...]
    translations: tuple[Translation, ...]
    complete: bool
    unmapped: tuple[str, ...]
    unit: str

    @property
    def translated(self) -> bool:
        return bool(self.translations)

    @property
    def fallback(self) -> bool:
        """True when the tree could not follow the history and the answer is a plain check/call."""
        return not self.complete


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _peek_kind(path: Path) -> str | None:
    """The ``kind`` in a holdem file's header, or None when it cannot be read (load reports why)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if HEADER_KEY not in npz.files:
                return None
            return json.loads(npz[HEADER_KEY].tobytes().decode()).get("kind")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError, AttributeError):
        return None


def policy_file_of(path: str | Path) -> Path:
    """The policy file of a run directory (``blueprint.npz``, else ``policy.npz``) or the file itself."""
    path = Path(path)
    if path.is_dir():
        for name in RUN_POLICY_FILES:
            if (path / name).is_file():
                return path / name
        raise PolicyError(f"{path} holds no policy ({' or '.join(RUN_POLICY_FILES)}): is it a finished run?")
    if not path.exists():
        raise PolicyError(f"{path} does not exist")
    return path


def policy_game(path: str | Path) -> GameDef:
    """The game a run directory or policy file was trained for (read from its header, nothing else loaded)."""
    file = policy_file_of(path)
    kind = _peek_kind(file)
    try:
        _, meta = load_arrays(file, kind=kind if kind in (AVERAGE_KIND, COMPACT_KIND) else AVERAGE_KIND,
                              versions=(AVERAGE_VERSION, COMPACT_VERSION))
    except FileFormatError as exc:
        raise PolicyError(_one_line(exc)) from None
    return Policy._game_of(meta, file, None)


def quantise(probabilities: np.ndarray, num_actions: np.ndarray, bits: int) -> np.ndarray:
    """Rows of probabilities as integers summing to ``2**bits - 1`` (largest remainders), error < 1 / that."""
    if bits not in (8, 16):
        raise PolicyError(f"bits must be 8 or 16, got {bits}")
    levels = (1 << bits) - 1
    rows, width = probabilities.shape
    valid = np.arange(width)[None, :] < np.asarray(num_actions)[:, None]
    p = np.where(valid, np.clip(probabilities.astype(np.float64), 0.0, None), 0.0)
    sums = p.sum(axis=1, keepdims=True)
    uniform = valid / np.maximum(valid.sum(axis=1, keepdims=True), 1)
    p = np.where(sums > 0, p / np.where(sums > 0, sums, 1.0), uniform)
    scaled = p * levels
    base = np.floor(scaled)
    remainder = np.where(valid, scaled - base, -1.0)
    deficit = levels - base.sum(axis=1).astype(np.int64)
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(width)[None, :].repeat(rows, axis=0), axis=1)
    q = base + (rank < deficit[:, None])
    return q.astype(np.uint8 if bits == 8 else np.uint16)


class Policy:
    """A blueprint's probabilities over its betting tree and card abstraction, validated on load."""

    def __init__(self, *, game: GameDef, tree: BettingTree, abstraction: CardAbstraction,
                 probabilities: np.ndarray, num_actions: np.ndarray, meta: dict[str, Any], source: Path,
                 bits: int | None = None) -> None:
        self.game = game
        self.tree = tree
        self.abstraction = abstraction
        self.probabilities = probabilities
        self.num_actions = num_actions
        self.meta = meta
        self.source = source
        self.bits = bits
        self.unit_chips, self.unit = chip_unit(game)
        self._kernel_data = abstraction.kernel_data()
        self._street_cards = tuple(game.num_hole_cards + game.board_cards_before(r)
                                   for r in range(game.num_rounds))
        self._translations: dict[tuple[str, tuple[int, ...] | None], TranslatedHistory] = {}
        self._edges: dict[int, tuple[tuple[int, float], ...]] = {}
        self._node_moves: dict[int, tuple[Move, ...]] = {}
        self._buckets: dict[tuple[int, tuple[int, ...]], int] = {}

    # --- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, *, game: GameDef | None = None, buckets: str | Path | None = None
             ) -> Policy:
        """Load a run directory, a blueprint file or a compact policy file; ``PolicyError`` if unusable.

        ``game``, when given, must be the game the policy was trained for. ``buckets`` overrides where
        the bucket file is looked for (it must still have the hash the policy records).
        """
        file = policy_file_of(path)
        kind = _peek_kind(file)
        try:
            if kind == COMPACT_KIND:
                arrays, meta = load_arrays(file, kind=COMPACT_KIND, versions=(COMPACT_VERSION,))
            else:
                arrays, meta = load_arrays(file, kind=AVERAGE_KIND, versions=(AVERAGE_VERSION,))
        except FileFormatError as exc:
            raise PolicyError(_one_line(exc)) from None
        policy_game = cls._game_of(meta, file, game)
        if kind == COMPACT_KIND:
            tree = cls._embedded_tree(arrays, meta, policy_game, file)
            bits = int(meta.get("bits", 0))
            levels = float((1 << bits) - 1)
            probabilities = arrays["q"].astype(np.float32) / np.float32(levels)
        else:
            tree = cls._tree_for(file, meta, policy_game)
            bits = None
            probabilities = arrays["policy"]
        abstraction = cls._abstraction_for(meta, policy_game, file, buckets)
        num_actions = arrays["num_actions"]
        want = (tree.num_rows, tree.max_actions)
        if probabilities.shape != want or num_actions.shape != (tree.num_rows,):
            raise PolicyError(f"{file}: policy table has shape {probabilities.shape}, its tree needs {want}")
        return cls(game=policy_game, tree=tree, abstraction=abstraction, probabilities=probabilities,
                   num_actions=num_actions, meta=meta, source=file, bits=bits)

    @staticmethod
    def _game_of(meta: dict[str, Any], file: Path, game: GameDef | None) -> GameDef:
        try:
            policy_game = parse_gamedef(meta["gamedef"], source=str(file), name=meta.get("game"))
        except (KeyError, GameDefError) as exc:
            raise PolicyError(f"{file}: the policy's game definition is unreadable ({_one_line(exc)})") from None
        if game is not None and format_gamedef(game) != format_gamedef(policy_game):
            if game.name != policy_game.name:
                raise PolicyError(f"{file} is a policy for {policy_game.name}, not {game.name}")
            raise PolicyError(f"{file} was trained for another {game.name} definition "
                              f"(stacks, blinds or deck differ from the game asked for)")
        return policy_game

    @staticmethod
    def _tree_for(file: Path, meta: dict[str, Any], game: GameDef) -> BettingTree:
        """The run's ``tree.npz`` next to the file (or one level up for snapshots), else rebuilt."""
        want = meta.get("tree_hash")
        for candidate in (file.parent / "tree.npz", file.parent.parent / "tree.npz"):
            if candidate.is_file():
                try:
                    tree = BettingTree.load(candidate)
                except TreeFileError as exc:
                    raise PolicyError(_one_line(exc)) from None
                if tree.content_hash() != want:
                    raise PolicyError(f"tree file {candidate} does not match the policy {file} "
                                      f"(tree hash {tree.content_hash()[:12]} != {str(want)[:12]})")
                return tree
        try:
            menu = None if meta.get("menu") is None else ActionMenu.from_dict(meta["menu"])
            tree = build_tree(game, menu, [int(x) for x in meta["num_buckets"]])
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"{file}: cannot rebuild the policy's betting tree ({_one_line(exc)})") from None
        if tree.content_hash() != want:
            raise PolicyError(f"{file}: no tree.npz beside it and this build's tree for its game and menu "
                              f"differs (tree hash {tree.content_hash()[:12]} != {str(want)[:12]})")
        return tree

    @staticmethod
    def _embedded_tree(arrays: dict[str, np.ndarray], meta: dict[str, Any], game: GameDef,
                       file: Path) -> BettingTree:
        try:
            menu = None if meta.get("menu") is None else ActionMenu.from_dict(meta["menu"])
            tree = BettingTree(game=game, menu=menu, num_buckets=tuple(int(x) for x in meta["num_buckets"]),
                               **{name[5:]: a for name, a in arrays.items() if name.startswith("tree_")})
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"{file}: the embedded betting tree is incomplete ({_one_line(exc)})") from None
        if tree.content_hash() != meta.get("tree_hash"):
            raise PolicyError(f"{file}: the embedded betting tree does not match its tree hash")
        return tree

    @staticmethod
    def _abstraction_for(meta: dict[str, Any], game: GameDef, file: Path,
                         override: str | Path | None) -> CardAbstraction:
        """The card abstraction the policy was trained on, found by path and checked by hash."""
        want = meta.get("abstraction_hash")
        spec = meta.get("abstraction") or {}
        if override is None and spec.get("name") == "lossless":
            try:
                abstraction = lossless_for(game)
            except BucketError as exc:
                raise PolicyError(_one_line(exc)) from None
            if abstraction.content_hash() != want:
                raise PolicyError(f"{file}: this build's lossless {game.name} buckets differ from the policy's")
            return abstraction
        candidates: list[Path] = []
        if override is not None:
            candidates.append(Path(override))
        else:
            if meta.get("buckets_path"):
                candidates.append(Path(meta["buckets_path"]))
            if spec.get("name"):
                from holdem.training import default_bucket_path

                candidates.append(default_bucket_path(game, str(spec["name"])))
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            where = candidates[0] if candidates else "(none recorded)"
            raise PolicyError(f"{file}: its bucket file {where} does not exist (pass the file with --buckets)")
        try:
            abstraction = CardAbstraction.load(found, game)
        except BucketError as exc:
            raise PolicyError(_one_line(exc)) from None
        if abstraction.content_hash() != want:
            raise PolicyError(f"bucket file {found} is not the one {file} was trained on "
                              f"(hash {abstraction.content_hash()[:12]} != {str(want)[:12]})")
        return abstraction

    # --- export --------------------------------------------------------------------------------
    def export_compact(self, path: str | Path, bits: int = 8) -> str:
        """Write the policy quantised to ``bits`` (8 or 16) per entry, with its tree embedded.

        The bucket file is referenced by path and hash (it can be 100+ MB). Returns the file checksum.
        """
        if bits not in (8, 16):
            raise PolicyError(f"bits must be 8 or 16, got {bits}")
        q = np.empty(self.probabilities.shape, dtype=np.uint8 if bits == 8 else np.uint16)
        for start in range(0, q.shape[0], QUANTISE_CHUNK_ROWS):
            stop = start + QUANTISE_CHUNK_ROWS
            q[start:stop] = quantise(self.probabilities[start:stop], self.num_actions[start:stop], bits)
        arrays = {"q": q, "num_actions": np.asarray(self.num_actions, dtype=np.int16)}
        arrays.update({f"tree_{name}": array for name, array in self.tree.arrays().items()})
        buckets_path = None
        if self.abstraction.spec.get("name") != "lossless":
            recorded = self.meta.get("buckets_path")
            buckets_path = str(Path(recorded).resolve()) if recorded else None
        meta = {
            "game": self.game.name,
            "gamedef": format_gamedef(self.game),
            "menu": self.tree.menu.to_dict() if self.tree.menu is not None else None,
            "num_buckets": [int(x) for x in self.tree.num_buckets],
            "tree_hash": self.tree.content_hash(),
            "abstraction": self.abstraction.spec,
            "abstraction_hash": self.abstraction.content_hash(),
            "buckets_path": buckets_path,
            "bits": bits,
            "strategy": "average",
            "iterations": self.meta.get("iterations"),
            "source_checksum": self.meta.get("checksum"),
        }
        try:
            return save_arrays(path, kind=COMPACT_KIND, version=COMPACT_VERSION, arrays=arrays, meta=meta)
        except OSError as exc:
            raise PolicyError(f"cannot write {path}: {exc.strerror or exc}") from None

    # --- lookups -------------------------------------------------------------------------------
    def bucket(self, street: int, cards: Sequence[int]) -> int:
        """Card bucket of hole cards followed by the board dealt so far."""
        return int(bucket_of(self._kernel_data, street, np.asarray(cards, dtype=np.int32),
                             self._street_cards[street]))

    def row(self, node: int, bucket: int) -> np.ndarray:
        """Probabilities over the children of decision ``node`` for a card bucket."""
        return self.probabilities[int(self.tree.row_offset[node]) + bucket, : int(self.tree.num_children[node])]

    def edges(self, node: int) -> tuple[tuple[int, float], ...]:
        """``(edge kind, pot fraction of a raise or 0)`` for each child of decision ``node``, cached."""
        edges = self._edges.get(node)
        if edges is None:
            tree = self.tree
            edges = tuple(
                (kind, abstract_raise_fraction(tree, node, child) if kind not in (EDGE_FOLD, EDGE_CALL) else 0.0)
                for child in tree.children(node) for kind in (int(tree.edge_kind[child]),)
            )
            self._edges[node] = edges
        return edges

    def locate(self, history: str, *, stacks: tuple[int, ...] | None = None, seed: int | None = None
               ) -> TranslatedHistory:
        """The abstract node of a real ACPC history; a two-way translation is drawn from ``seed``.

        Without a seed an off-menu size maps to the likelier abstract size. Results with no two-way choice
        are cached (the same for any seed), so replaying a known history costs a dictionary lookup.
        """
        key = (history, stacks)
        hit = self._translations.get(key)
        if hit is not None:
            return hit
        rng = None if seed is None else np.random.default_rng(seed)
        result = translate_history(self.tree, history, rng=rng, stacks=stacks)
        if all(t.probability == 1.0 for t in result.translations) and (
                len(self._translations) < TRANSLATION_CACHE_LIMIT):
            self._translations[key] = result
        return result

    def forget_translations(self) -> None:
        """Drop the cached translations (and the moves cached per node) so histories are walked again."""
        self._translations.clear()
        self._node_moves.clear()

    def real_moves(self, view: SeatView, node: int) -> tuple[Move, ...]:
        """The real move each child of decision ``node`` plays at ``view``, raises as shares of the real pot.

        A fold with no bet to face becomes a check, and a raise the real state does not allow a call.
        """
        moves = []
        for kind, fraction in self.edges(node):
            if kind == EDGE_FOLD:
                moves.append(FOLD if view.can_fold() else CHECK_OR_CALL)
            elif kind == EDGE_CALL or not view.can_raise():
                moves.append(CHECK_OR_CALL)
            else:
                moves.append(Move.raise_to(view.raise_to_pot_fraction(fraction)))
        return tuple(moves)

    def moves(self, view: SeatView, located: TranslatedHistory, *, stacks: tuple[int, ...] | None = None
              ) -> tuple[tuple[Move, ...], list[float]]:
        """Real moves (one per abstract child, possibly repeated) and their probabilities at ``view``.

        When the tree cannot follow the history the answer is a plain check/call.
        """
        node = located.node
        if not located.complete or int(self.tree.kind[node]) != DECISION:
            return (CHECK_OR_CALL,), [1.0]
        if located.translations or stacks is not None:
            real = self.real_moves(view, node)
        else:
            real = self._node_moves.get(node)
            if real is None:
                real = self._node_moves[node] = self.real_moves(view, node)
        cards = view.hole_cards + view.board
        key = (view.street, cards)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self.bucket(view.street, cards)
            if len(self._buckets) < BUCKET_CACHE_LIMIT:
                self._buckets[key] = bucket
        return real, self.row(node, bucket).tolist()

    # --- query ---------------------------------------------------------------------------------
    def state(self, seat: int, hole_cards: str | Sequence[int], board: str | Sequence[int] = "",
              history: str = "") -> HandState:
        """The real hand: ``seat`` holds ``hole_cards``, ``board`` is dealt, ``history`` was played.

        Raises PolicyError for a card that appears twice or is not in the deck, a wrong card count,
        an impossible history, or a seat that is not the one to act.
        """
        game = self.game
        if not 0 <= seat < game.num_players:
            raise PolicyError(f"seat {seat} does not exist: {game.name} seats 0..{game.num_players - 1}")
        holes: list[Sequence[int] | None] = [None] * game.num_players
        try:
            hole = _cards(hole_cards, "hole cards")
            board_cards = _cards(board, "board")
            both = hole + board_cards
            if len(set(both)) != len(both):
                twice = next(c for c in both if both.count(c) > 1)
                raise PolicyError(f"card {format_cards([twice])} appears twice in the hole cards and board")
            holes[seat] = hole
            given = len(board_cards)
            state = HandState(game=game, hole_cards=holes, board=board_cards, rng=np.random.default_rng(0))
        except (CardError, ValueError) as exc:
            raise PolicyError(_one_line(exc)) from None
        try:
            state.apply_acpc_history(history)
        except ValueError as exc:
            raise PolicyError(f"impossible history {history!r}: {_one_line(exc)}") from None
        if state.actor is None:
            raise PolicyError(f"the hand is over after {history!r}: nobody is to act")
        street = state.street
        want = game.board_cards_before(street)
        if given != want:
            name = STREET_NAMES[street] if game.num_rounds == 4 and street < 4 else f"round {street}"
            raise PolicyError(f"the history {history!r} is on the {name}, which shows {want} board "
                              f"card{'s' if want != 1 else ''}; {given} given")
        if state.actor != seat:
            raise PolicyError(f"seat {state.actor} is to act after {history!r}, not seat {seat}")
        return state

    def action_probabilities(self, seat: int, hole_cards: str | Sequence[int], board: str | Sequence[int] = "",
                             history: str = "", *, seed: int | None = None) -> Decision:
        """The policy's actions for ``seat`` holding ``hole_cards`` on ``board`` after an ACPC ``history``.

        Off-menu bets map pseudo-harmonically: to the likelier abstract size, or drawn from ``seed``.
        """
        state = self.state(seat, hole_cards, board, history)
        view = SeatView(state, seat)
        real_history = state.history_acpc()
        try:
            located = self.locate(real_history, seed=seed)
        except TranslationError as exc:
            raise PolicyError(_one_line(exc)) from None
        complete = located.complete and int(self.tree.kind[located.node]) == DECISION
        bucket = self.bucket(state.street, view.hole_cards + view.board) if complete else -1
        children = list(self.tree.children(located.node)) if complete else []
        real, probs = self.moves(view, located)
        merged: dict[Move, float] = {}
        labels: dict[Move, list[str]] = {}
        for i, (move, p) in enumerate(zip(real, probs)):
            merged[move] = merged.get(move, 0.0) + p
            labels.setdefault(move, []).append(self.tree.label(children[i]) if children else "c")
        options = [self._option(state, seat, move, p, "+".join(labels[move])) for move, p in merged.items()]
        return Decision(seat=seat, street=state.street, history=real_history,
                        abstract_history=located.abstract_history, node=located.node, bucket=bucket,
                        actions=tuple(options), translations=located.translations, complete=complete,
                        unmapped=located.unmapped, unit=self.unit)

    def _option(self, state: HandState, seat: int, move: Move, p: float, label: str) -> ActionOption:
        bets = state.bets
        own = bets[seat]
        top = max(bets)
        before = state.contributions[seat] - own
        if move == FOLD:
            return ActionOption("fold", p, own, before + own, 0, own / self.unit_chips, False, "f", label, move)
        if move == CHECK_OR_CALL:
            to = min(top, own + state.stacks[seat])
            kind = "check" if to == own else "call"
            return ActionOption(kind, p, to, before + to, to - own, to / self.unit_chips,
                                to - own == state.stacks[seat] and to > own, "c", label, move)
        to = move.to
        kind = "raise" if top > 0 else "bet"
        return ActionOption(kind, p, to, before + to, to - own, to / self.unit_chips, to - own == state.stacks[seat],
                            f"r{before + to}", label, move)

    def describe(self) -> str:
        """One line: game, tree size, buckets, iterations and storage."""
        stored = f"{self.bits}-bit" if self.bits else "float32"
        iterations = self.meta.get("iterations")
        its = f", {iterations:,} iterations" if isinstance(iterations, int) else ""
        menu = f", menu {self.tree.menu.name}" if self.tree.menu is not None else ""
        spec = (self.abstraction.spec or {}).get("name", "?")
        return (f"{self.source}: {self.game.name}{menu}, buckets {spec} {list(self.tree.num_buckets)}, "
                f"{self.tree.num_rows:,} rows{its}, {stored}")


def _cards(cards: str | Sequence[int], what: str) -> list[int]:
    """Card codes of text such as ``"AhKh"`` or of a sequence of codes; a card given twice is refused."""
    if isinstance(cards, str):
        try:
            return parse_cards(cards)
        except CardError as exc:
            raise PolicyError(f"{what}: {_one_line(exc)}") from None
    return [int(c) for c in cards]


def format_hand(cards: Sequence[int]) -> str:
    """Cards as text, or ``-`` when there are none."""
    return format_cards(cards) if cards else "-"
