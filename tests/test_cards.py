import numpy as np
import pytest

from holdem.cards import (
    CardError,
    Deck,
    card_mask,
    card_rank,
    card_suit,
    format_card,
    format_cards,
    make_card,
    mask_cards,
    parse_card,
    parse_cards,
)


def test_encoding_is_four_times_rank_plus_suit():
    assert parse_card("2c") == 0
    assert parse_card("2s") == 3
    assert parse_card("As") == 51
    assert parse_card("Td") == 4 * 8 + 1
    assert make_card(12, 2) == parse_card("Ah")
    for card in range(52):
        assert parse_card(format_card(card)) == card
        assert make_card(card_rank(card), card_suit(card)) == card


def test_parse_lists_with_or_without_spaces():
    assert parse_cards("As Kd") == parse_cards("AsKd") == parse_cards("as, kD") == [51, 45]
    assert format_cards([51, 45]) == "As Kd"


@pytest.mark.parametrize(
    "text, fragment",
    [("Ax", "suit 'x'"), ("1s", "rank '1'"), ("Asd", "odd number"), ("As As", "appears twice")],
)
def test_bad_card_lists_name_the_problem(text, fragment):
    with pytest.raises(CardError, match=fragment):
        parse_cards(text)


@pytest.mark.parametrize("text", ["", "A", "Asd", "Zs"])
def test_bad_single_cards(text):
    with pytest.raises(CardError, match="bad card"):
        parse_card(text)


def test_masks_round_trip():
    cards = [0, 17, 51]
    assert mask_cards(card_mask(cards)) == cards
    assert card_mask([51]) == 1 << 51


def test_deck_is_seeded_and_complete():
    a = Deck(np.random.default_rng(7))
    b = Deck(np.random.default_rng(7))
    dealt = a.deal(52)
    assert dealt == b.deal(52)
    assert sorted(dealt) == list(range(52))
    with pytest.raises(CardError, match="cannot deal"):
        a.deal(1)


def test_deck_subset_and_remove():
    deck = Deck(np.random.default_rng(1), cards=[40, 41, 44, 45, 48, 49])
    deck.remove([40, 49])
    rest = deck.deal(len(deck))
    assert sorted(rest) == [41, 44, 45, 48]
