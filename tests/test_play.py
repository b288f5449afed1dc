"""``holdem play`` driven through stdin: what a person sees, legal sizes, wrong input, results in mbb/hand."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from holdem.cards import format_cards
from holdem.engine import HandState
from holdem.play.terminal import TerminalGame
from holdem.policy import Policy

REPO = Path(__file__).resolve().parents[1]


def _session(policy: Policy, script: str, *, hands: int, seed: int = 5) -> str:
    out = io.StringIO()
    TerminalGame(policy, stdin=io.StringIO(script), stdout=out, hands=hands, seed=seed).run()
    return out.getvalue()


def _hands(transcript: str) -> list[str]:
    return transcript.split("=== hand ")[1:]


def _result(hand: str) -> int:
    found = re.search(r"^you (win|lose) ([\d,]+) ", hand, re.M)
    if found is None:
        assert "you break even" in hand
        return 0
    chips = int(found.group(2).replace(",", ""))
    return chips if found.group(1) == "win" else -chips


def test_folding_every_hand_loses_exactly_the_blinds_the_rules_say(hunl_policy: Policy) -> None:
    transcript = _session(hunl_policy, "fold\n" * 8, hands=8)
    hands = _hands(transcript)
    assert len(hands) == 8
    total = 0
    for number, hand in enumerate(hands):
        you = number % 2
        assert f"you are seat {you} (" + ("small blind" if you == 0 else "big blind") in hand
        state = HandState(game=hunl_policy.game, rng=np.random.default_rng([5, number]))
        assert f"your cards {format_cards(state.hole_cards[you])}" in hand, "the deal is the seeded one"
        if you == 0:
            assert "your move: fold | call 50 (0.5 bb) | raise to 200..20,000 (2..200 bb)" in hand
            expected = -50
        elif "seat 0 (bot) folds" in hand:
            expected = 50
        else:
            assert re.search(r"seat 0 \(bot\) raises to [\d,]+", hand) and "your move: fold | call" in hand
            expected = -100
        assert _result(hand) == expected
        total += expected
        assert f"after {number + 1} hand{'s' if number else ''}, {total:+,} chips, " \
               f"{1000 * total / 100 / (number + 1):+.1f} mbb/hand" in hand
    assert transcript.rstrip().endswith(f"session over: 8 hands, {total:+,} chips, {10 * total / 8:+.1f} mbb/hand")


def test_wrong_input_is_explained_and_asked_again(hunl_policy: Policy) -> None:
    transcript = _session(hunl_policy, "raise 10\nbet lots\nhelp\nraise 2.5bb\n", hands=1)
    assert "not now: raise to 10 is below the minimum raise to 200 (fold | call 50 (0.5 bb) | raise to" in transcript
    assert "not now: expected fold, check, call, all-in, bet N or raise N [bb]" in transcript
    assert "actions: fold | check | call" in transcript
    assert "seat 0 (you) raises to 250 (2.5 bb)" in transcript
    assert transcript.startswith("=== hand 1 of 1: you are seat 0") and transcript.count("> ") >= 4
    quitting = _session(hunl_policy, "quit\n", hands=3)
    assert quitting.count("> ") == 1 and quitting.rstrip().endswith("session over: 0 hands, +0 chips, +0.0 mbb/hand")


def test_calling_down_plays_to_showdown_with_the_board_and_pot(hunl_policy: Policy) -> None:
    transcript = _session(hunl_policy, "call\n" * 200, hands=6, seed=9)
    hands = _hands(transcript)
    assert len(hands) == 6
    assert "--- flop: board " in transcript and "showdown on " in transcript
    assert re.search(r"^board \w\w \w\w \w\w   pot [\d,]+ \([\d.]+ bb\)   flop$", transcript, re.M)
    assert re.search(r"^  seat \d you: stack [\d,]+, bet [\d,]+   cards \w\w \w\w$", transcript, re.M)
    total = sum(_result(hand) for hand in hands)
    assert f"session over: 6 hands, {total:+,} chips" in transcript


def test_end_of_input_ends_the_session_and_kuhn_plays_in_antes(runs: dict[str, Path]) -> None:
    policy = Policy.load(runs["kuhn"])
    transcript = _session(policy, "check\n", hands=0, seed=0)
    assert transcript.startswith("=== hand 1: you are seat 0 (first to act), your cards ")
    assert "pot 2 (2 antes)" in transcript and "your move: check | bet to 1 (1 ante)\n" in transcript
    assert "stack" not in transcript, "limit games have no stacks to show"
    assert "(end of input)" in transcript and "milli-antes/hand" in transcript


def test_cli_reads_a_script_from_stdin(runs: dict[str, Path]) -> None:
    done = subprocess.run([sys.executable, "-m", "holdem.cli.main", "play", str(runs["leduc"]), "--hands", "2",
                           "--seed", "1"], input="call\n" * 20, capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "=== hand 2 of 2" in done.stdout and "session over: 2 hands" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "holdem.cli.main", "play", "no/such/run"], capture_output=True,
                         text=True, cwd=REPO, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("seat", [5])
def test_a_seat_outside_the_game_is_refused(runs: dict[str, Path], seat: int) -> None:
    done = subprocess.run([sys.executable, "-m", "holdem.cli.main", "play", str(runs["kuhn"]), "--seat", str(seat)],
                          input="", capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2 and "--seat must be 0..1" in done.stderr
