"""Rules of the engine, one test per rule, plus chip-conservation properties on random play."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from holdem.cards import CardError, parse_cards
from holdem.engine import ActionKind, HandState, IllegalActionError, parse_acpc_history
from holdem.games import Betting, GameDef, load_game

HUNL = load_game("hunl")
SIXMAX = load_game("6max")
LEDUC = load_game("leduc")
KUHN = load_game("kuhn")


def no_limit(num_players: int, small: int = 50, big: int = 100, ante: int = 0) -> GameDef:
    """No-limit hold'em with blinds on seats 0 and 1, the button on the last seat."""
    return GameDef(
        name=f"nl{num_players}",
        betting=Betting.NOLIMIT,
        num_players=num_players,
        num_rounds=4,
        stack=(10_000,) * num_players,
        blind=(small, big) + (0,) * (num_players - 2),
        ante=(ante,) * num_players,
        first_player=(0, 1, 1, 1) if num_players == 2 else (2 % num_players, 0, 0, 0),
        num_suits=4,
        num_ranks=13,
        num_hole_cards=2,
        num_board_cards=(0, 3, 1, 1),
    )


def dealt(game: GameDef, seed: int = 0, **kwargs: object) -> HandState:
    return HandState(game=game, rng=np.random.default_rng(seed), **kwargs)  # type: ignore[arg-type]


def play(state: HandState, *tokens: str) -> HandState:
    for token in tokens:
        state.apply_acpc(token)
    return state


# -- forced bets and turn order --------------------------------------------------------------


def test_heads_up_button_posts_small_blind_and_acts_first_preflop_only() -> None:
    state = dealt(HUNL)
    assert state.bets == (50, 100) and state.stacks == (19_950, 19_900)
    assert state.actor == 0 and state.to_call() == 50
    assert (state.min_raise_to(), state.max_raise_to()) == (200, 20_000)
    play(state, "c", "c")
    assert state.street == 1 and state.actor == 1 and len(state.board) == 3


def test_six_max_opens_under_the_gun_then_small_blind_postflop() -> None:
    state = dealt(SIXMAX)
    assert state.actor == 2
    play(state, "c", "c", "c", "c", "c", "c")
    assert state.street == 1 and state.actor == 0


def test_short_stack_posts_what_it_has_and_the_call_is_the_largest_posted_bet() -> None:
    state = dealt(no_limit(3), stacks=[1000, 30, 1000])
    assert state.bets == (50, 30, 0) and state.stacks[1] == 0
    assert state.actor == 2 and state.to_call() == 50 and state.min_raise_to() == 150


def test_antes_go_to_the_pot_without_being_bets() -> None:
    state = dealt(no_limit(3, ante=10))
    assert state.contributions == (60, 110, 10) and state.bets == (50, 100, 0) and state.pot == 180
    assert state.to_call() == 100


# -- no-limit raise sizes --------------------------------------------------------------------


def test_raise_must_add_at_least_the_previous_increment() -> None:
    state = dealt(HUNL)
    with pytest.raises(IllegalActionError, match="raise to 150 is below the minimum raise to 200"):
        state.bet_or_raise(150)
    state.bet_or_raise(300)
    assert state.min_raise_to() == 500
    state.bet_or_raise(500)
    assert state.min_raise_to() == 700


def test_opening_bet_is_at_least_the_big_blind() -> None:
    state = play(dealt(HUNL), "c", "c")
    with pytest.raises(IllegalActionError, match="bet to 50 is below the minimum bet to 100"):
        state.bet_or_raise(50)
    assert state.min_raise_to() == 100


def test_raise_above_the_stack_is_refused() -> None:
    with pytest.raises(IllegalActionError, match="above seat 0's all-in raise to 20000"):
        dealt(HUNL).bet_or_raise(20_001)


def test_short_all_in_raise_does_not_reopen_betting_for_players_who_acted() -> None:
    state = dealt(no_limit(4), stacks=[10_000, 10_000, 250, 10_000])
    play(state, "c", "c", "c", "c")
    assert state.street == 1 and state.actor == 0
    state.bet_or_raise(100)
    state.check_or_call()
    state.bet_or_raise(150)
    assert state.actor == 3 and state.min_raise_to() == 250
    state.check_or_call()
    assert state.actor == 0 and not state.can_bet_or_raise()
    with pytest.raises(IllegalActionError, match="does not reopen the betting"):
        state.bet_or_raise(400)
    state.check_or_call()
    assert state.actor == 1 and not state.can_bet_or_raise()


def test_short_all_ins_adding_up_to_a_full_raise_reopen_betting() -> None:
    state = dealt(no_limit(4), stacks=[10_000, 250, 320, 10_000])
    play(state, "c", "c", "c", "c")
    state.bet_or_raise(100)
    state.bet_or_raise(150)
    state.bet_or_raise(220)
    state.check_or_call()
    assert state.actor == 0 and state.to_call() == 120
    assert state.min_raise_to() == 320 and state.can_bet_or_raise(320)


def test_preflop_all_in_below_a_big_blind_raise_reopens_for_limpers_as_in_pokerkit() -> None:
    state = dealt(no_limit(4), stacks=[10_000, 10_000, 10_000, 150])
    state.check_or_call()
    state.bet_or_raise(150)
    play(state, "c", "c")
    assert state.actor == 2 and state.to_call() == 50 and state.min_raise_to() == 250


def test_cannot_raise_when_the_stack_only_covers_the_call() -> None:
    state = dealt(HUNL, stacks=[20_000, 150])
    state.bet_or_raise(1000)
    with pytest.raises(IllegalActionError, match="its 50 chips only cover the call of 900"):
        state.bet_or_raise(150)


def test_cannot_raise_when_everybody_else_is_all_in() -> None:
    state = play(dealt(HUNL, stacks=[20_000, 150]), "c", "c", "r150")
    assert state.actor == 0 and not state.can_bet_or_raise() and state.min_raise_to() is None
    with pytest.raises(IllegalActionError, match="every other player is all in or folded"):
        state.bet_or_raise(5000)


# -- folding, turns, end of hand -------------------------------------------------------------


def test_fold_is_refused_when_checking_is_free() -> None:
    state = play(dealt(HUNL), "c")
    assert not state.can_fold()
    with pytest.raises(IllegalActionError, match="cannot fold: there is no bet to call"):
        state.fold()


def test_acting_out_of_turn_is_refused() -> None:
    with pytest.raises(IllegalActionError, match="not seat 1's turn: seat 0 is to act"):
        dealt(HUNL).check_or_call(seat=1)


def test_no_action_after_the_hand_is_over() -> None:
    state = play(dealt(HUNL), "f")
    assert state.is_finished and state.actor is None and not state.can_check_or_call()
    with pytest.raises(IllegalActionError, match="the hand is over"):
        state.check_or_call()


def test_uncalled_bet_comes_back_and_fold_wins_the_rest() -> None:
    state = play(dealt(HUNL), "r1000", "f")
    assert state.payoffs() == (100, -100)
    assert state.stacks == (20_100, 19_900)


def test_payoffs_wait_for_the_end_of_the_hand() -> None:
    with pytest.raises(ValueError, match="the hand is not over"):
        dealt(HUNL).payoffs()


def test_all_in_and_call_runs_out_the_board() -> None:
    state = play(dealt(HUNL, seed=3), "r20000", "c")
    assert state.is_finished and len(state.board) == 5 and state.street == 3
    assert state.history_acpc() == "r20000c///"
    assert sorted(state.payoffs()) in ([-20_000, 20_000], [0, 0])


# -- pots and showdown -----------------------------------------------------------------------


def test_side_pots_with_three_all_ins_of_different_sizes() -> None:
    game = no_limit(4, small=1, big=2)
    state = HandState(
        game=game,
        stacks=[50, 100, 200, 400],
        hole_cards=["Ac Ad", "Kc Kd", "Qc Qd", "8h 4d"],
        board="2c 7d 9h Jc 3s",
    )
    state.bet_or_raise(200)
    state.check_or_call()
    state.check_or_call()
    state.check_or_call()
    assert state.is_finished and state.contributions == (50, 100, 200, 200)
    assert [p.amount for p in state.pots] == [200, 150, 200]
    assert state.stacks == (200, 150, 200, 200)
    assert state.payoffs() == (150, 50, 0, -200)


def test_split_pot_gives_the_odd_chip_to_the_first_winner_after_the_button() -> None:
    game = no_limit(3, small=25, big=50)
    state = HandState(game=game, hole_cards=["2c 3d", "4c 5d", "4h 5s"], board="As Ks Qs Js Ts")
    play(state, "c", "f", "c", "c", "c", "c", "c", "c", "c")
    assert state.is_finished and state.pot == 125
    assert state.payoffs() == (-25, 13, 12)


def test_equal_hands_split_heads_up() -> None:
    state = HandState(game=HUNL, hole_cards=["2c 3d", "2h 3c"], board="As Ks Qs Js 9d")
    play(state, "r300", "c", "c", "c", "c", "c", "c", "c")
    assert state.payoffs() == (0, 0)


# -- limit games: Kuhn and Leduc -------------------------------------------------------------


def test_leduc_raises_two_then_four_capped_at_two_per_round() -> None:
    state = HandState(game=LEDUC, hole_cards=["Kc", "Qd"], board="Ac")
    assert state.contributions == (1, 1) and state.min_raise_to() == state.max_raise_to() == 2
    with pytest.raises(IllegalActionError, match="bet to 3 is not the fixed-limit bet to 2"):
        state.bet_or_raise(3)
    play(state, "r", "r")
    assert state.contributions == (3, 5) and not state.can_bet_or_raise()
    with pytest.raises(IllegalActionError, match="the cap of 2 is reached"):
        state.apply_acpc("r")
    play(state, "c", "r", "r", "c")
    assert state.history_acpc() == "r3r5c/r9r13c"
    assert state.payoffs() == (13, -13)


@pytest.mark.parametrize(
    ("holes", "board", "expected"),
    [
        (["Kc", "Qd"], "Ac", (1, -1)),
        (["Kc", "Qd"], "Qc", (-1, 1)),
        (["Ac", "Kd"], "Qc", (1, -1)),
        (["Kc", "Kd"], "Ac", (0, 0)),
    ],
)
def test_leduc_showdown_pair_beats_high_card_then_private_card(holes: list[str], board: str,
                                                               expected: tuple[int, int]) -> None:
    state = HandState.from_acpc(game=LEDUC, history="cc/cc", hole_cards=holes, board=board)
    assert state.payoffs() == expected


@pytest.mark.parametrize(
    ("history", "holes", "expected"),
    [
        ("cc", ["Ac", "Kc"], (1, -1)),
        ("rc", ["Qc", "Kc"], (-2, 2)),
        ("rf", ["Qc", "Kc"], (1, -1)),
        ("crf", ["Ac", "Kc"], (-1, 1)),
        ("crc", ["Ac", "Kc"], (2, -2)),
    ],
)
def test_kuhn_outcomes(history: str, holes: list[str], expected: tuple[int, int]) -> None:
    state = HandState.from_acpc(game=KUHN, history=history, hole_cards=holes)
    assert state.is_finished and state.payoffs() == expected


def test_kuhn_allows_one_bet_only() -> None:
    state = play(HandState(game=KUHN, hole_cards=["Ac", "Kc"]), "r")
    assert state.can_fold() and not state.can_bet_or_raise()


# -- ACPC strings ----------------------------------------------------------------------------


def test_acpc_history_in_total_chips_round_trips() -> None:
    state = HandState.from_acpc(game=HUNL, history="r300c/cr900f", rng=np.random.default_rng(1))
    assert state.payoffs() == (300, -300)
    assert state.history_acpc() == "r300c/cr900f"
    raise_action = state.actions[-2]
    assert raise_action.kind is ActionKind.BET_OR_RAISE and raise_action.to_street == 600
    assert raise_action.to_total == 900 and raise_action.amount == 600 and raise_action.street == 1


def test_acpc_history_continues_from_the_current_state() -> None:
    state = play(dealt(HUNL), "r300", "c")
    state.apply_acpc_history("/cr900")
    assert state.history_acpc() == "r300c/cr900" and state.actor == 1


def test_acpc_raise_errors_also_give_whole_hand_totals() -> None:
    state = play(dealt(HUNL), "r300", "c", "c")
    message = r"r350: bet to 50 is below the minimum bet to 100 .* legal r400\.\.r20000"
    with pytest.raises(IllegalActionError, match=message):
        state.apply_acpc("r350")


def test_parse_acpc_history_splits_rounds() -> None:
    assert parse_acpc_history("r300c/cr900f") == [["r300", "c"], ["c", "r900", "f"]]
    assert parse_acpc_history("rrc/") == [["r", "r", "c"], []]


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("x", "bad ACPC history 'x'"),
        ("c/c", "round 0 has not ended"),
        ("ccc", "missing '/'"),
        ("r", "a no-limit raise needs r<total chips>"),
        ("r300c/cr900fc", "the hand is over"),
    ],
)
def test_bad_acpc_history_names_the_problem(history: str, message: str) -> None:
    with pytest.raises(IllegalActionError, match=message):
        HandState.from_acpc(game=HUNL, history=history, rng=np.random.default_rng(0))


def random_play(state: HandState, rng: np.random.Generator) -> HandState:
    """Play random legal actions (folds, calls, min/max/random raises) to the end of the hand."""
    while not state.is_finished:
        roll = rng.random()
        low, high = state.min_raise_to(), state.max_raise_to()
        if state.can_fold() and roll < 0.15:
            state.fold()
        elif low is None or high is None or roll < 0.6:
            state.check_or_call()
        else:
            state.bet_or_raise(int(rng.choice([low, high, rng.integers(low, high + 1)])))
    return state


@pytest.mark.parametrize("game", [HUNL, SIXMAX, LEDUC, KUHN, no_limit(5, ante=5)], ids=lambda g: g.name)
def test_replaying_the_acpc_history_reproduces_the_hand(game: GameDef) -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        stacks = [int(s) for s in rng.integers(1, 3 * game.stack[0] // 2 + 2, size=game.num_players)]
        original = random_play(dealt(game, int(rng.integers(1 << 30)), stacks=stacks), rng)
        replay = HandState.from_acpc(
            game=game, history=original.history_acpc(), stacks=stacks,
            hole_cards=original.hole_cards, board=original.runout,
        )
        assert replay.actions == original.actions
        assert replay.stacks == original.stacks


# -- bad card input --------------------------------------------------------------------------


def test_duplicate_card_is_refused() -> None:
    with pytest.raises(CardError, match="card As is dealt twice: seat 0 hole cards and seat 1 hole cards"):
        HandState(game=HUNL, hole_cards=["As Kd", "As Qc"], board="2c 3c 4c 5c 6c")
    with pytest.raises(CardError, match="card Kd is dealt twice: seat 0 hole cards and the board"):
        HandState(game=HUNL, hole_cards=["As Kd", "Qs Qc"], board="2c 3c 4c 5c Kd")


def test_cards_outside_the_game_deck_or_in_wrong_numbers_are_refused() -> None:
    with pytest.raises(CardError, match="2c is not in the leduc deck"):
        HandState(game=LEDUC, hole_cards=["2c", "Kd"], board="Ac")
    with pytest.raises(CardError, match="seat 0 needs 2 hole cards, got 1"):
        HandState(game=HUNL, hole_cards=["As", "Kd Qd"], rng=np.random.default_rng(0))
    with pytest.raises(CardError, match="6 board cards given"):
        HandState(game=HUNL, hole_cards=["As Ah", "Kd Qd"], board="2c 3c 4c 5c 6c 7c")


def test_board_may_be_given_per_round() -> None:
    per_round = HandState(game=HUNL, hole_cards=["As Kd", "Qs Qc"], board=["2c 3c 4c", "5c", "6c"])
    assert per_round.runout == tuple(parse_cards("2c 3c 4c 5c 6c"))


def test_missing_cards_need_an_explicit_generator() -> None:
    with pytest.raises(ValueError, match="pass rng=numpy.random.default_rng"):
        HandState(game=HUNL, hole_cards=["As Kd", "Qs Qc"])


def test_partial_cards_are_completed_from_the_deck() -> None:
    state = HandState(game=HUNL, hole_cards=["As Kd", None], board="2c 3c", rng=np.random.default_rng(9))
    cards = [c for hole in state.hole_cards for c in hole] + list(state.runout)
    assert state.hole_cards[0] == tuple(parse_cards("As Kd"))
    assert state.runout[:2] == tuple(parse_cards("2c 3c"))
    assert len(set(cards)) == 9


# -- properties on random play ---------------------------------------------------------------

GAMES = [HUNL, SIXMAX, LEDUC, KUHN, no_limit(3, small=1, big=2, ante=1), no_limit(5, small=5, big=10)]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    game_index=st.integers(0, len(GAMES) - 1),
    stack_fractions=st.lists(st.floats(0.0, 1.5), min_size=6, max_size=6),
    seed=st.integers(0, 2**32 - 1),
    choices=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=40),
)
def test_chips_are_conserved_and_never_negative(
    game_index: int, stack_fractions: list[float], seed: int, choices: list[tuple[float, float]]
) -> None:
    game = GAMES[game_index]
    top = min(game.stack[0], 40_000)
    stacks = [max(1, int(f * top)) for f in stack_fractions[: game.num_players]]
    state = dealt(game, seed, stacks=stacks)
    total = sum(stacks)
    moves = iter(choices)
    while not state.is_finished:
        kind, size = next(moves, (0.5, 0.0))
        low, high = state.min_raise_to(), state.max_raise_to()
        if kind < 0.2 and state.can_fold():
            state.fold()
        elif kind > 0.6 and low is not None and high is not None:
            state.bet_or_raise(low + int(size * (high - low)))
        else:
            state.check_or_call()
        if not state.is_finished:
            assert sum(state.stacks) + state.pot == total
        assert min(state.stacks) >= 0
        assert all(c <= s for c, s in zip(state.contributions, stacks))
    assert sum(state.payoffs()) == 0
    assert sum(state.stacks) == total and min(state.stacks) >= 0
    assert all(p >= -c for p, c in zip(state.payoffs(), state.contributions))
