"""The ACPC client against the real dealer: 1,000-hand matches judged by the dealer's own log and SCORE line.

The dealer and its example player are built once per session from ``../shared/acpc_server`` (read-only: copied
to a temporary directory first; see :mod:`holdem.play.dealer`). The example player seeds its generator from the
clock; the copy built here reads the seed from ``ACPC_PLAYER_SEED`` instead, so a match is the same every run.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from holdem.games import load_game, parse_gamedef
from holdem.play.acpc import ACPCClient, ACPCError, SeatMap, hand_state, map_seats, parse_matchstate
from holdem.play.dealer import MatchRecord, build_dealer, play_match
from holdem.play.player import PolicyPlayer
from holdem.policy import Policy
from holdem.training import train
from holdem.training.config import build_config

REPO = Path(__file__).resolve().parents[1]
ACPC_SOURCE = Path(os.environ.get("HOLDEM_ACPC_SERVER", REPO.parent / "shared" / "acpc_server"))
HANDS = 1000


@pytest.fixture(scope="session")
def dealer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built dealer and example player (compiled once per session with the C compiler)."""
    if not (ACPC_SOURCE / "dealer.c").is_file():
        pytest.skip(f"the ACPC dealer source is not at {ACPC_SOURCE} (set HOLDEM_ACPC_SERVER)")
    if shutil.which("make") is None or shutil.which("gcc") is None:
        pytest.skip("building the ACPC dealer needs make and gcc")
    return build_dealer(ACPC_SOURCE, tmp_path_factory.mktemp("acpc"), fixed_seed_player=True)


def play(dealer_dir: Path, game_file: str, players: list[tuple[str, list[str]]], *, seed: int,
         name: str) -> MatchRecord:
    return play_match(dealer_dir, dealer_dir / game_file, players, hands=HANDS, seed=seed, name=name)


def ours(policy: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "holdem.cli.main", "acpc", str(policy), "--game", "{game}", "--port", "{port}",
            "--seed", str(seed)]


def example_player() -> list[str]:
    return ["../example_player", "{game}", "localhost", "{port}"]


def own_count(stderr: str) -> int:
    """The chips a client counted for itself, from its closing summary."""
    found = re.search(r"hands, [\d,]+ decisions, ([+-][\d,]+) chips", stderr)
    assert found, stderr
    return int(found.group(1).replace(",", ""))


def assert_clean(match: MatchRecord, players: int) -> None:
    assert match.problems() == [], match.problems()[:5]
    assert sorted(match.hand_numbers()) == list(range(HANDS)), "every hand is in the dealer's log"
    assert sum(match.score.values()) == 0 and len(match.score) == players


# --- against the real dealer -------------------------------------------------------------------
def test_hunl_blueprint_beats_the_example_player(dealer_dir: Path, runs: dict[str, Path]) -> None:
    match = play(dealer_dir, "holdem.nolimit.2p.reverse_blinds.game",
                 [("blueprint", ours(runs["hunl"], 1)), ("example", example_player())], seed=11, name="vs-example")
    assert_clean(match, 2)
    assert match.score["blueprint"] > 0, match.score
    assert own_count(match.player_err[0]) == match.score["blueprint"], "our chip count agrees with the dealer's"


def test_hunl_blueprint_plays_itself(dealer_dir: Path, runs: dict[str, Path]) -> None:
    match = play(dealer_dir, "holdem.nolimit.2p.reverse_blinds.game",
                 [("first", ours(runs["hunl"], 1)), ("second", ours(runs["hunl"], 2))], seed=12, name="self")
    assert_clean(match, 2)
    assert [own_count(err) for err in match.player_err] == [match.score["first"], match.score["second"]]


def test_kuhn_three_player_blueprint_against_two_example_players(dealer_dir: Path, tmp_path: Path) -> None:
    train(build_config({"game": "kuhn3", "iterations": 20_000, "num_workers": 1, "seed": 3}), tmp_path / "kuhn3")
    match = play(dealer_dir, "kuhn.limit.3p.game",
                 [("blueprint", ours(tmp_path / "kuhn3", 1)), ("example1", example_player()),
                  ("example2", example_player())], seed=13, name="kuhn3")
    assert_clean(match, 3)
    assert match.score["blueprint"] > 0, match.score
    assert own_count(match.player_err[0]) == match.score["blueprint"]


# --- the protocol in-process ----------------------------------------------------------------------
REVERSE_HUNL = """GAMEDEF
nolimit
numPlayers = 2
numRounds = 4
stack = 20000 20000
blind = 100 50
firstPlayer = 2 1 1 1
numSuits = 4
numRanks = 13
numHoleCards = 2
numBoardCards = 0 3 1 1
END GAMEDEF
"""


def test_reverse_blinds_game_is_hunl_with_the_seats_swapped() -> None:
    seats = map_seats(parse_gamedef(REVERSE_HUNL), load_game("hunl"))
    assert (seats.seat(0), seats.seat(1)) == (1, 0)
    assert map_seats(load_game("hunl"), load_game("hunl")).offset == 0
    with pytest.raises(ACPCError, match="stack"):
        map_seats(parse_gamedef(REVERSE_HUNL.replace("20000 20000", "10000 10000")), load_game("hunl"))
    with pytest.raises(ACPCError, match="num_players"):
        map_seats(load_game("6max"), load_game("hunl"))


def test_match_state_cards_and_betting_map_onto_our_seats() -> None:
    seats = map_seats(parse_gamedef(REVERSE_HUNL), load_game("hunl"))
    ms = parse_matchstate("MATCHSTATE:1:31:r300r900c/r1800:|JdTc/6dJc9c")
    state = hand_state(ms, seats)
    assert (ms.position, ms.hand, ms.betting) == (1, 31, "r300r900c/r1800")
    assert state.hole_cards[0] == (4 * 9 + 1, 4 * 8 + 0), "position 1 (JdTc) is our seat 0, the button"
    assert state.street == 1 and state.actor == 0 and state.contributions == (900, 1800)
    kuhn3 = map_seats(load_game("kuhn3"), load_game("kuhn3"))
    assert kuhn3.card("As") == 4 * 12 and kuhn3.card("Js") == 4 * 9, "one-suit decks: ACPC spades are our clubs"
    with pytest.raises(ACPCError):
        parse_matchstate("MATCHSTATE:0:1")


def test_client_answers_only_on_its_turn_with_legal_actions(hunl_policy: Policy) -> None:
    seats: SeatMap = map_seats(parse_gamedef(REVERSE_HUNL), hunl_policy.game)
    client = ACPCClient(PolicyPlayer(hunl_policy, np.random.default_rng(0)), seats, seed=4)
    assert client.respond("# a comment") is None
    assert client.respond("MATCHSTATE:0:0::AhKh|") is None, "the button (position 1) acts first preflop"
    for betting in ("r300", "r20000", "r250r750r2000"):
        line = f"MATCHSTATE:0:0:{betting}:AhKh|"
        reply = client.respond(line)
        assert reply is not None and reply.startswith(line + ":")
        hand_state(parse_matchstate(line), seats).apply_acpc(reply[len(line) + 1:])
    assert client.respond("MATCHSTATE:0:1:f:7c2d|") is None
    assert (client.tally.decisions, client.tally.hands, client.tally.chips) == (3, 1, 50)


def test_betting_our_rules_refuse_is_answered_with_a_call(hunl_policy: Policy) -> None:
    seats = map_seats(parse_gamedef(REVERSE_HUNL), hunl_policy.game)
    warnings: list[str] = []
    client = ACPCClient(PolicyPlayer(hunl_policy, np.random.default_rng(0)), seats, seed=4, warn=warnings.append)
    assert client.respond("MATCHSTATE:0:0:r150:AhKh|") == "MATCHSTATE:0:0:r150:AhKh|:c"
    assert client.tally.disagreements == 1 and "below the minimum" in warnings[0]
    with pytest.raises(ACPCError):
        client.respond("MATCHSTATE:0:0::AhKh|Zz")
