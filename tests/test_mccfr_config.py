"""MCCFRConfig: one-line errors and schedules."""

import pytest

from holdem.mccfr.config import ConfigError, MCCFRConfig


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"algorithm": "vanilla"}, "unknown algorithm 'vanilla'"),
        ({"epsilon_schedule": [[0, -0.1]]}, "epsilon must not be negative"),
        ({"exploration_epsilon": -0.5}, "exploration_epsilon must be at least"),
        ({"epsilon_schedule": []}, "epsilon_schedule is empty"),
        ({"pruning_probability": 1.5}, r"pruning_probability must be in \[0, 1\]"),
        ({"pruning_probability": -0.1}, r"pruning_probability must be in \[0, 1\]"),
        ({"prunning_probability": 0.5}, "did you mean 'pruning_probability'"),
        ({"discount_mode": "sometimes"}, "unknown discount_mode"),
    ],
)
def test_bad_config_gets_one_clear_line(raw, message):
    with pytest.raises(ConfigError, match=message) as info:
        MCCFRConfig.from_dict(raw)
    assert "\n" not in str(info.value)


def test_schedules_by_iteration():
    config = MCCFRConfig.from_dict({
        "epsilon_schedule": [[0, 0.6], [100, 0.3]], "enable_pruning": True, "pruning_warmup": 50,
        "discount_mode": "pluribus", "discount_interval": 10, "discount_cutoff": 30,
    })
    assert config.epsilon_at(99) == 0.6 and config.epsilon_at(100) == 0.3
    assert config.pruning_probability_at(49) == 0.0 and config.pruning_probability_at(50) == 0.95
    assert config.discount_factors(15) is None
    assert config.discount_factors(20) == (2 / 3, 2 / 3, 2 / 3)
    assert config.discount_factors(40) is None
    assert MCCFRConfig.from_dict(config.to_dict()) == config


def test_batches_are_cut_where_a_discount_falls_due_and_not_after_the_cutoff():
    config = MCCFRConfig.from_dict({"discount_mode": "pluribus", "discount_interval": 10, "discount_cutoff": 30})
    assert [config.next_boundary(i) for i in (0, 9, 10, 29)] == [10, 10, 20, 30]
    assert config.next_boundary(30) > 10**12, "no discount after the cutoff: nothing to cut at"
    assert [config.discount_interval_index(i) for i in (0, 9, 10, 29, 30, 45, 10**6)] == [0, 0, 1, 2, 3, 3, 3]
    endless = MCCFRConfig.from_dict({"discount_mode": "pluribus", "discount_interval": 10})
    assert endless.next_boundary(1000) == 1010 and endless.discount_interval_index(1005) == 100
    assert MCCFRConfig.from_dict({"discount_mode": "none"}).discount_interval_index(10**6) == 0
