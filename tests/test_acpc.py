"""The ACPC client against the real dealer: 1,000-hand matches judged by the dealer's own log and SCORE line.

The dealer and its example player are built once per session from ``../shared/acpc_server`` (read-only: copied
to a temporary directory first). The example player seeds its generator from the clock; the copy built here
reads the seed from ``ACPC_PLAYER_SEED`` instead, so a match is the same every run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from holdem.games import load_game, parse_gamedef
from holdem.play.acpc import ACPCClient, ACPCError, SeatMap, hand_state, map_seats, parse_matchstate
from holdem.play.player import PolicyPlayer
from holdem.policy import Policy
from holdem.training import train
from holdem.training.config import build_config

REPO = Path(__file__).resolve().parents[1]
ACPC_SOURCE = Path(os.environ.get("HOLDEM_ACPC_SERVER", REPO.parent / "shared" / "acpc_server"))
HANDS = 1000
CLOCK_SEED = "init_genrand( &rng, tv.tv_usec );"
FIXED_SEED = 'init_genrand( &rng, getenv( "ACPC_PLAYER_SEED" ) ? atoi( getenv( "ACPC_PLAYER_SEED" ) ) : tv.tv_usec );'


@pytest.fixture(scope="session")
def dealer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built dealer and example player (compiled once per session with the C compiler)."""
    if not (ACPC_SOURCE / "dealer.c").is_file():
        pytest.skip(f"the ACPC dealer source is not at {ACPC_SOURCE} (set HOLDEM_ACPC_SERVER)")
    if shutil.which("make") is None or shutil.which("gcc") is None:
        pytest.skip("building the ACPC dealer needs make and gcc")
    work = tmp_path_factory.mktemp("acpc") / "server"
    shutil.copytree(ACPC_SOURCE, work)
    for path in work.iterdir():
        path.chmod(0o644 if path.is_file() else 0o755)
    player = work / "example_player.c"
    source = player.read_text()
    assert CLOCK_SEED in source, "example_player.c changed: update the seed patch"
    player.write_text(source.replace(CLOCK_SEED, FIXED_SEED))
    subprocess.run(["make", "-s", "dealer", "example_player"], cwd=work, check=True, capture_output=True,
                   timeout=300)
    return work


@dataclass
class Match:
    """A finished dealer match: its SCORE by player name, its log's STATE lines, stderr and each player's stderr."""

    score: dict[str, int]
    states: list[str]
    dealer_err: str
    player_err: list[str]

    def problems(self) -> list[str]:
        """Lines where the dealer reports an error, a fixed-up action or a timeout."""
        return [line for line in self.dealer_err.splitlines() if line.startswith(("ERROR", "WARNING"))]

    def hand_numbers(self) -> list[int]:
        return [int(line.split(":")[1]) for line in self.states]


def play(dealer_dir: Path, game_file: str, players: list[tuple[str, list[str]]], *, seed: int,
         name: str) -> Match:
    """Run the dealer for HANDS hands with one process per seat; ``{port}`` in an argv is that seat's port."""
    run_dir = dealer_dir / name
    run_dir.mkdir()
    game = dealer_dir / game_file
    dealer = subprocess.Popen(
        [str(dealer_dir / "dealer"), name, str(game), str(HANDS), str(seed), *(n for n, _ in players), "-q",
         "--start_timeout", "120000"],
        cwd=run_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert dealer.stdout is not None
    ports = dealer.stdout.readline().split()
    assert len(ports) == len(players), ports
    procs, logs = [], []
    env = {**os.environ, "ACPC_PLAYER_SEED": str(seed)}
    for index, ((_, argv), port) in enumerate(zip(players, ports)):
        log = (run_dir / f"player{index}.err").open("w")
        logs.append(log)
        argv = [a.replace("{port}", port).replace("{game}", str(game)) for a in argv]
        procs.append(subprocess.Popen(argv, cwd=run_dir, stdout=subprocess.DEVNULL, stderr=log, env=env))
    try:
        out, err = dealer.communicate(timeout=600)
        codes = [p.wait(timeout=60) for p in procs]
    finally:
        for p in [dealer, *procs]:
            if p.poll() is None:
                p.kill()
        for log in logs:
            log.close()
    player_err = [(run_dir / f"player{i}.err").read_text() for i in range(len(players))]
    assert dealer.returncode == 0 and codes == [0] * len(players), (err, player_err)
    score_line = next(line for line in out.splitlines() if line.startswith("SCORE:"))
    _, values, names = score_line.split(":")
    states = [line for line in (run_dir / f"{name}.log").read_text().splitlines() if line.startswith("STATE:")]
    return Match(dict(zip(names.split("|"), map(int, values.split("|")))), states, err, player_err)


def ours(policy: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "holdem.cli.main", "acpc", str(policy), "--game", "{game}", "--port", "{port}",
            "--seed", str(seed)]


def example_player() -> list[str]:
    return ["./../example_player", "{game}", "localhost", "{port}"]


def own_count(stderr: str) -> int:
    """The chips a client counted for itself, from its closing summary."""
    found = re.search(r"hands, [\d,]+ decisions, ([+-][\d,]+) chips", stderr)
    assert found, stderr
    return int(found.group(1).replace(",", ""))


def assert_clean(match: Match, players: int) -> None:
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
