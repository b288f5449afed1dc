import pytest

from holdem.games import (
    Betting,
    GameDefError,
    builtin_games,
    format_gamedef,
    load_game,
    parse_gamedef,
)


def test_shipped_games_round_trip_through_acpc_text():
    assert set(builtin_games()) >= {"kuhn", "leduc", "hunl", "6max"}
    for name in builtin_games():
        game = load_game(name)
        assert parse_gamedef(format_gamedef(game)) == game


def test_leduc_matches_openspiel_rules():
    g = load_game("leduc")
    assert g.betting is Betting.LIMIT and g.num_players == 2 and g.num_rounds == 2
    assert g.deck_size == 6 and g.ante == (1, 1) and g.blind == (0, 0)
    assert g.raise_size == (2, 4) and g.max_raises == (2, 2)
    assert g.num_board_cards == (0, 1) and g.num_hole_cards == 1
    assert g.deck == (40, 41, 44, 45, 48, 49)  # the three top ranks in clubs and diamonds


def test_kuhn_and_holdem_shapes():
    kuhn = load_game("kuhn")
    assert kuhn.deck == (40, 44, 48) and kuhn.raise_size == (1,) and kuhn.max_raises == (1,)
    hunl = load_game("hunl")
    assert hunl.stack == (20000, 20000) and hunl.blind == (50, 100) and hunl.first_player == (0, 1, 1, 1)
    six = load_game("6max")
    assert six.num_players == 6 and six.first_player == (2, 0, 0, 0) and six.min_bet == 100


BASE = """GAMEDEF
nolimit
numPlayers = 2
numRounds = 1
stack = 100 100
blind = 1 2
firstPlayer = 1
numSuits = 4
numRanks = 13
numHoleCards = 2
numBoardCards = 0
END GAMEDEF
"""


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (("numPlayers = 2", "numPlayers = 7"), "numPlayers must be 2..6"),
        (("stack = 100 100", "stack = 100 x"), "stack expects integers"),
        (("numRounds = 1", "numRounds = 1\nbogus = 3"), "unknown key 'bogus'"),
        (("END GAMEDEF", ""), "no END GAMEDEF"),
        (("nolimit", ""), "missing limit|nolimit"),
        (("blind = 1 2", "blind = 1"), "blind needs 2 values"),
        (("numHoleCards = 2", "numHoleCards = 30"), "the deck has 52 cards"),
        (("numRounds = 1", "numRounds = 1\nbadline"), "expected 'key = value'"),
    ],
)
def test_malformed_definitions_get_one_clear_error(edit, fragment):
    text = BASE.replace(*edit)
    with pytest.raises(GameDefError, match=fragment) as info:
        parse_gamedef(text, source="bad.game")
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.game")


def test_unknown_game_name():
    with pytest.raises(GameDefError, match="unknown game 'nope'"):
        load_game("nope")
