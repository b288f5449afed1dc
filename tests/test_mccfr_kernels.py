"""MCCFR kernels: convergence on Kuhn and Leduc, outcome sampling's importance weights, linear
weighting, pruning and reproducibility, each failing if the feature is off or broken."""

import numpy as np
import pytest

from holdem.abstraction.buckets import lossless_for
from holdem.abstraction.tree import build_tree
from holdem.games import load_game
from holdem.mccfr import MCCFRConfig
from holdem.mccfr.batch import BatchRunner
from holdem.mccfr.config import P_REGRET_FLOOR
from holdem.mccfr.exploitability import ExactEvaluator
from holdem.mccfr.kernels_common import PREFETCH_MIN_BYTES
from holdem.mccfr.tables import REGRET_HALF, STRATEGY_HALF
from holdem.training.sequential import SequentialTrainer

KUHN_VALUE = -1.0 / 18.0


@pytest.fixture(scope="module")
def kuhn():
    game = load_game("kuhn")
    abstraction = lossless_for(game)
    return build_tree(game, None, abstraction.num_buckets), abstraction


@pytest.fixture(scope="module")
def leduc():
    game = load_game("leduc")
    abstraction = lossless_for(game)
    return build_tree(game, None, abstraction.num_buckets), abstraction


def test_external_sampling_solves_kuhn(kuhn):
    trainer = SequentialTrainer.for_tree(*kuhn, MCCFRConfig(seed=1), batch_size=20_000)
    trainer.step(2_000_000)
    result = trainer.evaluator.evaluate(trainer.average_policy())
    assert abs(result.policy_value[0] - KUHN_VALUE) < 1e-3
    assert result.exploitability < 1e-3


def test_external_sampling_leduc_below_one_hundredth_in_seconds(leduc):
    trainer = SequentialTrainer.for_tree(*leduc, MCCFRConfig(seed=2), batch_size=20_000)
    trainer.step(4_000_000)
    assert trainer.exploitability() < 0.01


def test_outcome_sampling_converges_on_kuhn(kuhn):
    trainer = SequentialTrainer.for_tree(*kuhn, MCCFRConfig(seed=3, algorithm="outcome"), batch_size=20_000)
    trainer.step(1_000_000)
    result = trainer.evaluator.evaluate(trainer.average_policy())
    assert result.exploitability < 5e-3
    assert abs(result.policy_value[0] - KUHN_VALUE) < 5e-3


def _single_iteration_samples(tree, abstraction, algorithm, regret, count):
    runner = BatchRunner(tree, abstraction, algorithm)
    params = MCCFRConfig(algorithm=algorithm).kernel_params(0)
    regrets = np.zeros((count, *regret.shape))
    strategies = np.zeros((count, *regret.shape))
    for t in range(count):
        deltas = runner.run(regret, t, 1, 11, params).deltas
        rows, regrets[t, rows], strategies[t, rows] = deltas.dense(runner.num_actions, regret.shape[1])
    return regrets, strategies


def test_outcome_sampling_estimates_match_external_sampling_in_expectation(kuhn):
    """Both are unbiased estimates of the same counterfactual regrets and average-strategy weights
    (seat 0's regrets and seat 1's strategy come from the first traversal, before any update)."""
    tree, abstraction = kuhn
    regret = np.zeros((tree.num_rows, tree.max_actions), dtype=np.float32)
    regret[:, 0] = np.arange(tree.num_rows) % 3
    regret[:, 1] = 1.0
    seat0 = np.concatenate([np.arange(int(tree.row_offset[n]), int(tree.row_offset[n]) + 3)
                            for n in np.nonzero((tree.kind == 0) & (tree.player == 0))[0]])
    seat1 = np.setdiff1d(np.arange(tree.num_rows), seat0)
    es_r, es_s = _single_iteration_samples(tree, abstraction, "external", regret, 20_000)
    os_r, os_s = _single_iteration_samples(tree, abstraction, "outcome", regret, 20_000)
    for es, os_, rows in ((es_r, os_r, seat0), (es_s, os_s, seat1)):
        diff = es.mean(0)[rows] - os_.mean(0)[rows]
        err = np.sqrt(es.var(0)[rows] / len(es) + os_.var(0)[rows] / len(os_)) + 1e-12
        assert np.abs(diff / err).max() < 4.5


def test_linear_weighting_scales_an_iterations_deltas_by_t(leduc):
    tree, abstraction = leduc
    regret = np.zeros((tree.num_rows, tree.max_actions), dtype=np.float32)
    t = 41
    plain = BatchRunner(tree, abstraction).run(regret, t, 1, 5, MCCFRConfig().kernel_params(t)).deltas
    linear_params = MCCFRConfig(use_linear_weighting=True).kernel_params(t)
    linear = BatchRunner(tree, abstraction).run(regret, t, 1, 5, linear_params).deltas
    np.testing.assert_array_equal(linear.regret_rows, plain.regret_rows)
    np.testing.assert_array_equal(linear.strategy_rows, plain.strategy_rows)
    assert np.abs(plain.strategy).sum() > 0
    np.testing.assert_allclose(linear.strategy, (t + 1) * plain.strategy.astype(np.float64), rtol=1e-6)
    np.testing.assert_allclose(linear.regret, (t + 1) * plain.regret.astype(np.float64), rtol=1e-6)


def test_asking_the_cache_for_rows_ahead_changes_no_delta(leduc):
    """Rows are prefetched only in tables past PREFETCH_MIN_BYTES; Leduc's, padded with unused rows past that
    size, must give the same deltas bit for bit as the same rows alone."""
    tree, abstraction = leduc
    rng = np.random.default_rng(7)
    regret = rng.normal(0.0, 3.0, (tree.num_rows, tree.max_actions)).astype(np.float32)
    padded_rows = PREFETCH_MIN_BYTES // (4 * tree.max_actions) + tree.num_rows
    padded = np.full((padded_rows, tree.max_actions), np.nan, dtype=np.float32)
    padded[:tree.num_rows] = regret
    assert padded.nbytes > PREFETCH_MIN_BYTES >= regret.nbytes
    params = MCCFRConfig().kernel_params(0)
    alone = BatchRunner(tree, abstraction).run(regret, 0, 300, 5, params).deltas
    ahead = BatchRunner(tree, abstraction).run(padded, 0, 300, 5, params).deltas
    for name, values in alone.fields().items():
        np.testing.assert_array_equal(ahead.fields()[name], values)
    assert alone.regret.size > 0 and np.isfinite(ahead.regret).all()


@pytest.mark.parametrize("algorithm", ["external", "outcome"])
def test_kernels_flag_every_half_they_write(leduc, algorithm):
    """A slot's nonzero regret (strategy) deltas always carry the regret (strategy) flag, so packing never
    drops one; and many rows are written in one half only, which is what the flags save."""
    tree, abstraction = leduc
    runner = BatchRunner(tree, abstraction, algorithm)
    regret = np.zeros((tree.num_rows, tree.max_actions), np.float32)
    regret[:, 0] = 1.0
    runner.accumulate(regret, 0, 30, 3, MCCFRConfig(algorithm=algorithm).kernel_params(0))
    buffer = runner.buffer
    count = buffer.count
    halves = buffer.halves[:count].copy()
    wrote_regret = (buffer.regret[:count] != 0).any(axis=1)
    wrote_strategy = (buffer.strategy[:count] != 0).any(axis=1)
    assert ((halves & REGRET_HALF) != 0)[wrote_regret].all()
    assert ((halves & STRATEGY_HALF) != 0)[wrote_strategy].all()
    assert (halves == REGRET_HALF).any() and (halves == STRATEGY_HALF).any()
    assert halves.all(), "a slot is claimed only to write into it"
    packed = runner.pack()
    assert len(packed.regret_rows) == int(((halves & REGRET_HALF) != 0).sum())
    assert len(packed.strategy_rows) == int(((halves & STRATEGY_HALF) != 0).sum())


def test_pruning_skips_work_except_on_the_last_street(leduc, kuhn):
    trained = SequentialTrainer.for_tree(*leduc, MCCFRConfig(seed=4), batch_size=20_000)
    trained.step(300_000)
    config = MCCFRConfig(enable_pruning=True, pruning_probability=1.0, pruning_threshold=-50.0)
    runner = BatchRunner(*leduc)
    off = runner.run(trained.tables.regret, 300_000, 20_000, 9, MCCFRConfig().kernel_params(0))
    on = runner.run(trained.tables.regret, 300_000, 20_000, 9, config.kernel_params(0))
    assert on.nodes < 0.9 * off.nodes
    single_round = SequentialTrainer.for_tree(*kuhn, MCCFRConfig(seed=4), batch_size=20_000)
    single_round.step(100_000)
    runner = BatchRunner(*kuhn)
    off = runner.run(single_round.tables.regret, 100_000, 10_000, 9, MCCFRConfig().kernel_params(0))
    on = runner.run(single_round.tables.regret, 100_000, 10_000, 9, config.kernel_params(0))
    assert on.nodes == off.nodes


@pytest.mark.parametrize("algorithm", ["external", "outcome"])
def test_training_is_bitwise_reproducible_for_a_seed(leduc, algorithm):
    def train(seed):
        config = MCCFRConfig(seed=seed, algorithm=algorithm, use_linear_weighting=True)
        trainer = SequentialTrainer.for_tree(*leduc, config, batch_size=7_000)
        trainer.step(50_000)
        return trainer.tables

    a, b, c = train(8), train(8), train(9)
    assert a.regret.tobytes() == b.regret.tobytes()
    assert a.strategy_sum.tobytes() == b.strategy_sum.tobytes()
    assert a.regret.tobytes() != c.regret.tobytes()


def test_exploitability_of_uniform_policies_matches_openspiel(kuhn, leduc):
    kuhn_eval = ExactEvaluator(*kuhn)
    result = kuhn_eval.evaluate(kuhn_eval.uniform_policy())
    assert result.nash_conv == pytest.approx(11 / 12, abs=1e-12)
    assert result.exploitability == pytest.approx(11 / 24, abs=1e-12)
    leduc_eval = ExactEvaluator(*leduc)
    result = leduc_eval.evaluate(leduc_eval.uniform_policy())
    assert result.exploitability == pytest.approx(2.373611111111, abs=1e-9)
    assert result.nash_conv == pytest.approx(4.747222222222, abs=1e-9)


THREE_PLAYER_KUHN = """GAMEDEF
limit
name = kuhn3
numPlayers = 3
numRounds = 1
blind = 0 0 0
ante = 1 1 1
raiseSize = 1
maxRaises = 1
firstPlayer = 1
numSuits = 1
numRanks = 4
numHoleCards = 1
numBoardCards = 0
END GAMEDEF
"""


@pytest.mark.parametrize("algorithm", ["external", "outcome"])
def test_three_player_kuhn_nash_conv_falls(algorithm):
    from holdem.games import parse_gamedef

    game = parse_gamedef(THREE_PLAYER_KUHN)
    abstraction = lossless_for(game)
    tree = build_tree(game, None, abstraction.num_buckets)
    trainer = SequentialTrainer.for_tree(tree, abstraction, MCCFRConfig(seed=1, algorithm=algorithm),
                                         batch_size=20_000)
    uniform = trainer.evaluator.evaluate(trainer.evaluator.uniform_policy())
    trainer.step(300_000)
    result = trainer.evaluator.evaluate(trainer.average_policy())
    assert result.nash_conv < 0.05 * uniform.nash_conv
    assert abs(result.policy_value.sum()) < 1e-9
    assert np.isfinite(trainer.tables.regret).all() and np.isfinite(trainer.tables.strategy_sum).all()


@pytest.mark.parametrize("algorithm", ["external", "outcome"])
def test_the_floor_never_lifts_a_view_that_lies_below_it(leduc, algorithm):
    """A worker's view of the regrets may lie below the floor its task carries: a discount shrinks the master's
    regrets and the floor together while the worker still reads an older copy. The floor only limits a fall; it
    must not turn that gap into a positive delta, which the commit would add to the discounted master (every
    floored action came back, and positive regrets overshot)."""
    tree, abstraction = leduc
    view, floor = -1e6, -1e3
    regret = np.full((tree.num_rows, tree.max_actions), view, np.float32)
    params = MCCFRConfig(algorithm=algorithm).kernel_params(0)
    params[P_REGRET_FLOOR] = floor
    deltas = BatchRunner(tree, abstraction, algorithm).run(regret, 0, 10, 3, params).deltas
    assert len(deltas.regret) > 0
    assert deltas.regret.max() < 0.01 * (floor - view)
    assert deltas.regret.min() >= 0.0, "a fall below the floor is dropped, the view being below it already"
