"""Sequential trainer, discounting through the schedule, ``holdem train`` and the OpenSpiel export."""

import json

import numpy as np
import pytest

from holdem.abstraction.buckets import lossless_for
from holdem.abstraction.tree import build_tree
from holdem.cli.main import build_parser
from holdem.fileformat import load_arrays
from holdem.games import load_game
from holdem.mccfr import MCCFRConfig
from holdem.mccfr.tables import dcfr_factors
from holdem.policy.files import AVERAGE_KIND as POLICY_KIND
from holdem.policy.openspiel import openspiel_policy, openspiel_tabular_policy
from holdem.training import TrainConfig, train
from holdem.training.sequential import SequentialTrainer
from orchestrator.events import read_events


@pytest.fixture(scope="module")
def leduc():
    game = load_game("leduc")
    abstraction = lossless_for(game)
    return build_tree(game, None, abstraction.num_buckets), abstraction


def _tables_after(leduc, iterations, **config):
    trainer = SequentialTrainer.for_tree(*leduc, MCCFRConfig(seed=6, **config), batch_size=600)
    trainer.step(iterations)
    return trainer.tables


def test_pluribus_discount_halves_both_tables_after_the_first_interval(leduc):
    plain = _tables_after(leduc, 1000)
    discounted = _tables_after(leduc, 1000, discount_mode="pluribus", discount_interval=1000)
    assert np.abs(plain.regret).sum() > 0
    np.testing.assert_array_equal(discounted.regret, plain.regret * np.float32(0.5))
    np.testing.assert_array_equal(discounted.strategy_sum, plain.strategy_sum * np.float32(0.5))


def test_dcfr_discount_applies_its_three_factors(leduc):
    plain = _tables_after(leduc, 2000, discount_mode="dcfr", discount_interval=1000, discount_cutoff=1000)
    before = _tables_after(leduc, 1999, discount_mode="dcfr", discount_interval=1000, discount_cutoff=1000)
    assert not np.array_equal(plain.regret, before.regret)
    reference = _tables_after(leduc, 1000)
    once = _tables_after(leduc, 1000, discount_mode="dcfr", discount_interval=1000)
    pos, neg, strat = dcfr_factors(1.0, 1.5, 0.0, 2.0)
    r = reference.regret.astype(np.float64)
    np.testing.assert_array_equal(once.regret, np.where(r > 0, r * pos, r * neg).astype(np.float32))
    np.testing.assert_array_equal(once.strategy_sum, (reference.strategy_sum.astype(np.float64) * strat)
                                  .astype(np.float32))


def test_cli_train_writes_events_and_a_checksummed_policy(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["train", "--config", "kuhn", "--num-workers", "1", "--iters", "300000",
                              "--logdir", str(tmp_path)])
    assert args.func(args) == 0
    events = read_events(tmp_path / "events.jsonl")
    assert events[0]["event"] == "run_start" and events[-1]["event"] == "run_end"
    assert events[-1]["iterations"] == 300000 and events[-1]["exploitability"] < 0.01
    assert all({"ts", "event"} <= set(e) for e in events)
    last = [e for e in events if e["event"] == "progress"][-1]
    assert last["worker_kernel_cpu_s"] > 0 and last["worker_merge_cpu_s"] > 0, "where the CPU went"
    arrays, meta = load_arrays(tmp_path / "blueprint.npz", kind=POLICY_KIND)
    assert arrays["policy"].shape[0] == 12 and meta["iterations"] == 300000


def test_cli_train_bad_config_is_one_line_and_exit_two(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("game: kuhn\npruning_probability: 2\n")
    parser = build_parser()
    args = parser.parse_args(["train", "--config", str(config), "--logdir", str(tmp_path / "run")])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pruning_probability must be in [0, 1]" in err


def test_openspiel_export_strings_and_action_ids(leduc):
    kuhn_game = load_game("kuhn")
    kuhn_abs = lossless_for(kuhn_game)
    kuhn_tree = build_tree(kuhn_game, None, kuhn_abs.num_buckets)
    kuhn_policy = np.full((kuhn_tree.num_rows, kuhn_tree.max_actions), 0.5)
    doc = openspiel_policy(kuhn_policy, kuhn_tree, kuhn_abs)
    assert doc["game"] == "kuhn_poker"
    assert set(doc["policy"]) == {f"{c}{h}" for c in range(3) for h in ("", "p", "b", "pb")}
    assert doc["policy"]["2pb"] == [[0, 0.5], [1, 0.5]]
    tree, abstraction = leduc
    doc = openspiel_policy(np.full((tree.num_rows, tree.max_actions), 1 / 3), tree, abstraction)
    assert doc["game"] == "leduc_poker" and len(doc["policy"]) == 936
    policy = doc["policy"]
    assert [a for a, _ in policy["[Observer: 0][Private: 0][Round 1][Player: 0][Pot: 2][Money: 99 99]"
                                 "[Round1: ][Round2: ]"]] == [1, 2]
    assert [a for a, _ in policy["[Observer: 1][Private: 3][Round 1][Player: 1][Pot: 4][Money: 97 99]"
                                 "[Round1: 2][Round2: ]"]] == [0, 1, 2]
    assert "[Observer: 0][Private: 0][Round 2][Player: 0][Pot: 6][Money: 97 97][Public: 4][Round1: 2 1]" \
           "[Round2: ]" in policy


def test_our_exploitability_agrees_with_openspiel_on_an_exported_policy(leduc, tmp_path):
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python.algorithms import exploitability

    trainer = SequentialTrainer.for_tree(*leduc, MCCFRConfig(seed=7), batch_size=20_000)
    trainer.step(200_000)
    ours = trainer.evaluator.exploitability(trainer.average_policy().astype(np.float32).astype(np.float64))
    doc = json.loads(json.dumps(openspiel_policy(trainer.average_policy().astype(np.float32), *leduc)))
    tabular = openspiel_tabular_policy(doc)
    assert exploitability.exploitability(pyspiel.load_game(doc["game"]), tabular) == pytest.approx(ours, abs=1e-6)


def test_export_reads_a_run_directory_or_a_checkpoint(leduc, tmp_path):
    outcome = train(TrainConfig(game="leduc", iterations=20_000, num_workers=1, mccfr=MCCFRConfig(seed=2)),
                    tmp_path / "run")
    checkpoint = outcome.checkpoint
    root = build_parser()
    documents = []
    for source in (tmp_path / "run", checkpoint):
        out = tmp_path / f"{source.stem}.json"
        args = root.parse_args(["policy", "export", str(source), "--format", "openspiel", "--out", str(out)])
        assert args.func(args) == 0
        documents.append(json.loads(out.read_text()))
    first, second = (d["policy"] for d in documents)
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_allclose([p for _, p in first[key]], [p for _, p in second[key]], atol=1e-6)
