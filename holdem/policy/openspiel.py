"""A trained Kuhn or Leduc policy in OpenSpiel's tabular form (``holdem policy export --format openspiel``), and
loaded back into OpenSpiel's own ``TabularPolicy`` (:func:`openspiel_tabular_policy`).

Writes ``{"game": "kuhn_poker"|"leduc_poker", "policy": {info_state_string: [[action_id, prob], ...]}}``
with OpenSpiel's own information-state strings and action ids (Kuhn: pass 0, bet 1; Leduc: fold 0,
call 1, raise 2; Leduc cards numbered ``2 * rank + suit`` from the lowest rank, no suit isomorphism).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from holdem.abstraction.buckets import CardAbstraction, lossless_for
from holdem.abstraction.tree import CHANCE, DECISION, EDGE_FOLD, EDGE_RAISE, BettingTree, build_tree
from holdem.fileformat import FileFormatError, load_arrays
from holdem.games import load_game, parse_gamedef
from holdem.mccfr.tables import average_strategy, row_num_actions
from holdem.policy.files import AVERAGE_KIND, AVERAGE_VERSION, RUN_POLICY_FILES

CHECKPOINT_KIND = "checkpoint"  # written by holdem.training.checkpoint; read here for its strategy sums
OPENSPIEL_GAMES = {"kuhn": "kuhn_poker", "leduc": "leduc_poker"}
LEDUC_STARTING_MONEY = 100


class ExportError(ValueError):
    """A run or file that cannot be exported; the message is one line."""


def load_policy(source: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
    """The average policy and metadata of a run directory, a policy file or a checkpoint."""
    path = Path(source)
    if path.is_dir():
        candidates = [path / name for name in RUN_POLICY_FILES]
        candidates += sorted((path / "checkpoints").glob("checkpoint-*.npz"), reverse=True)
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise ExportError(f"{path} holds no {' or '.join(RUN_POLICY_FILES)} and no checkpoint")
        path = found[0]
    try:
        arrays, meta = load_arrays(path, kind=AVERAGE_KIND, versions=(AVERAGE_VERSION,))
        return arrays["policy"].astype(np.float64), meta
    except FileFormatError as exc:
        if "holds a 'checkpoint'" not in str(exc):
            raise ExportError(str(exc)) from None
    try:
        arrays, meta = load_arrays(path, kind=CHECKPOINT_KIND, versions=(1,))
    except FileFormatError as exc:
        raise ExportError(str(exc)) from None
    tree, _ = rebuild(meta)
    return average_strategy(arrays["strategy_sum"], row_num_actions(tree)), meta


def rebuild(meta: dict[str, Any]) -> tuple[BettingTree, CardAbstraction]:
    """The tree and abstraction a policy file was trained on (checked against its hashes)."""
    game = parse_gamedef(meta["gamedef"], source="policy file") if "gamedef" in meta else load_game(meta["game"])
    if meta.get("menu") is not None:
        raise ExportError("OpenSpiel export covers the limit games Kuhn and Leduc only")
    abstraction = lossless_for(game)
    if abstraction.content_hash() != meta.get("abstraction_hash"):
        raise ExportError("the policy was trained on a lossy card abstraction: export needs lossless")
    tree = build_tree(game, None, [int(x) for x in abstraction.num_buckets])
    if tree.content_hash() != meta.get("tree_hash"):
        raise ExportError("the policy's betting tree differs from this build's tree for the game")
    return tree, abstraction


def openspiel_policy(policy: np.ndarray, tree: BettingTree, abstraction: CardAbstraction
                     ) -> dict[str, Any]:
    """The OpenSpiel tabular policy document of a Kuhn or Leduc policy over ``tree``'s rows."""
    game = tree.game
    name = OPENSPIEL_GAMES.get(game.name)
    if name is None or game != load_game(game.name):
        raise ExportError(f"game {game.name!r} has no OpenSpiel counterpart (kuhn and leduc only)")
    parents = tree.parents()
    low_rank = min(game.ranks)
    deck = list(game.deck)
    table: dict[str, list[list[float]]] = {}
    for node in np.nonzero(tree.kind == DECISION)[0]:
        seat = int(tree.player[node])
        street = int(tree.street[node])
        rounds = _action_ids(tree, parents, int(node), kuhn=name == "kuhn_poker")
        children = tree.children(int(node))
        ids = [_child_action(tree, int(node), c, kuhn=name == "kuhn_poker") for c in children]
        hands = [(c,) for c in deck] if street == 0 else [(c, b) for c in deck for b in deck if b != c]
        buckets = abstraction.bucket(street, np.asarray(hands, dtype=np.int32))
        for hand, bucket in zip(hands, buckets):
            probs = policy[int(tree.row_offset[node]) + int(bucket), : len(ids)]
            if name == "kuhn_poker":
                key = f"{(hand[0] >> 2) - low_rank}" + "".join("b" if a else "p" for a in rounds[0])
            else:
                key = _leduc_string(tree, int(node), seat, hand, rounds, low_rank)
            table[key] = [[int(a), float(p)] for a, p in zip(ids, probs)]
    return {"game": name, "policy": table}


def _child_action(tree: BettingTree, node: int, child: int, *, kuhn: bool) -> int:
    kind = int(tree.edge_kind[child])
    if not kuhn:
        return kind
    seat = int(tree.player[node])
    pays = kind != EDGE_FOLD and tree.edge_amount[child] > tree.contrib[node, seat]
    return int(kind == EDGE_RAISE or pays)


def _action_ids(tree: BettingTree, parents: np.ndarray, node: int, *, kuhn: bool) -> list[list[int]]:
    """OpenSpiel action ids taken before ``node``, per round."""
    path = []
    i = node
    while i > 0:
        path.append(i)
        i = int(parents[i])
    rounds: list[list[int]] = [[] for _ in range(tree.game.num_rounds)]
    for child in reversed(path):
        parent = int(parents[child])
        if tree.kind[parent] == CHANCE:
            continue
        rounds[int(tree.street[parent])].append(_child_action(tree, parent, child, kuhn=kuhn))
    return rounds


def _leduc_string(tree: BettingTree, node: int, seat: int, hand: tuple[int, ...], rounds: list[list[int]],
                  low_rank: int) -> str:
    def card(c: int) -> int:
        return 2 * ((c >> 2) - low_rank) + (c & 3)

    contrib = [int(x) for x in tree.contrib[node]]
    money = " ".join(str(LEDUC_STARTING_MONEY - c) for c in contrib)
    text = (f"[Observer: {seat}][Private: {card(hand[0])}][Round {int(tree.street[node]) + 1}]"
            f"[Player: {seat}][Pot: {sum(contrib)}][Money: {money}]")
    if len(hand) > 1:
        text += f"[Public: {card(hand[1])}]"
    return text + f"[Round1: {' '.join(map(str, rounds[0]))}][Round2: {' '.join(map(str, rounds[1]))}]"


def export_openspiel(source: str | Path, out: Path) -> dict[str, Any]:
    """Write the OpenSpiel document of a run directory, policy file or checkpoint to ``out``; returns it."""
    policy, meta = load_policy(source)
    tree, abstraction = rebuild(meta)
    document = openspiel_policy(policy, tree, abstraction)
    try:
        out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror}") from None
    return document


def fill_tabular(document: dict[str, Any], state_lookup: Mapping[str, int], table: np.ndarray) -> np.ndarray:
    """Write a document's probabilities into a tabular policy's array (rows by ``state_lookup``), in place.

    ExportError when the document and the table do not cover the same information states.
    """
    policy = document.get("policy")
    if not isinstance(policy, dict):
        raise ExportError("not an OpenSpiel policy document: no 'policy' mapping")
    missing = sorted(set(state_lookup) - set(policy))
    extra = sorted(set(policy) - set(state_lookup))
    if missing or extra:
        example = (missing or extra)[0]
        raise ExportError(f"the document and {document.get('game')!r} disagree on {len(missing)} missing and "
                          f"{len(extra)} unknown information states, such as {example!r}")
    table[...] = 0.0
    for key, index in state_lookup.items():
        for action, probability in policy[key]:
            table[index, int(action)] = probability
    return table


def openspiel_tabular_policy(source: str | Path | dict[str, Any]) -> Any:
    """An OpenSpiel ``TabularPolicy`` (needs the openspiel extra) of an exported document, a JSON file written
    by ``holdem policy export --format openspiel``, or a Kuhn/Leduc run directory, policy file or checkpoint."""
    try:
        import pyspiel
        from open_spiel.python import policy as openspiel_policy_module
    except ImportError:
        raise ExportError("loading into OpenSpiel needs open_spiel: pip install -e '.[openspiel]'") from None
    if isinstance(source, dict):
        document = source
    elif Path(source).suffix == ".json":
        try:
            document = json.loads(Path(source).read_text())
        except (OSError, ValueError) as exc:
            raise ExportError(f"cannot read {source}: {exc}") from None
    else:
        policy, meta = load_policy(source)
        document = openspiel_policy(policy.astype(np.float32), *rebuild(meta))
    tabular = openspiel_policy_module.TabularPolicy(pyspiel.load_game(document["game"]))
    fill_tabular(document, tabular.state_lookup, tabular.action_probability_array)
    return tabular
