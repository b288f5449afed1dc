"""docs/configuration.md stays in sync with the config classes; --help shows defaults and units; one flag name
per concept, the old spellings still accepted."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from holdem import __version__
from holdem.cli.config_doc import DOC_PATH, reference, train_flags
from holdem.cli.main import build_parser
from holdem.cli.main import main as holdem_main
from holdem.mccfr.config import MCCFRConfig
from holdem.training import config_doc
from holdem.training.config import TrainConfig, build_config


def test_configuration_page_matches_the_config_classes() -> None:
    assert config_doc.missing_docs() == [], "\n".join(config_doc.missing_docs())
    assert DOC_PATH.read_text() == reference(), "docs/configuration.md is stale: run `holdem config-doc`"


def test_every_key_has_a_row_with_its_default_and_flag() -> None:
    page = DOC_PATH.read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in page.splitlines() if line.startswith("| `")}
    names = [f.name for f in dataclasses.fields(TrainConfig) if f.name != "mccfr"]
    names += [f.name for f in dataclasses.fields(MCCFRConfig)]
    assert sorted(rows) == sorted(names)
    assert "| `time_budget_seconds` | float or unset | unset | s | `--time-budget` |" in rows["time_budget_seconds"]
    assert "`--iters`, `--iterations`" in rows["iterations"] and "`num_iterations`" in rows["iterations"]
    assert "| `seed` | int | 0 | - | `--seed` |" in rows["seed"]
    assert "`--tensorboard`, `--no-tensorboard`" in rows["tensorboard"]
    assert "| list of [int, float] or unset |" in rows["epsilon_schedule"]
    for key, flags in train_flags().items():
        if key in rows:
            assert all(f"`{flag}`" in rows[key] for flag in flags)


def test_a_key_without_a_description_fails_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass(frozen=True)
    class Grown(TrainConfig):
        shiny_new_key: int = 3
        documented_key: float = dataclasses.field(default=1.5, metadata={"doc": "a documented key", "unit": "s"})

    monkeypatch.setattr(config_doc, "CONFIG_CLASSES", (Grown, MCCFRConfig))
    (message,) = config_doc.missing_docs()
    assert message.startswith("Grown.shiny_new_key has no description") and "KEY_DOCS" in message
    monkeypatch.setitem(config_doc.KEY_DOCS, "shiny_new_key", config_doc.KeyDoc("new", "chips"))
    page = config_doc.config_reference({})
    assert "| `shiny_new_key` | int | 3 | chips |" in page and "| `documented_key` | float | 1.5 | s |" in page


def _options(parser: argparse.ArgumentParser, path: str = "holdem"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif action.option_strings:
            yield path, parser, action


def test_help_shows_every_default() -> None:
    missing = []
    for path, parser, action in _options(build_parser()):
        if action.default in (None, False, argparse.SUPPRESS) or isinstance(action, argparse._HelpAction):
            continue
        text = parser.formatter_class(path)._expand_help(action) if action.help else ""
        if "default" not in text:
            missing.append(f"{path} {action.option_strings[0]}")
    assert missing == []
    train_help = build_parser()._subparsers._group_actions[0].choices["train"].format_help()  # type: ignore[union-attr]
    for words in ("--seed SEED", "seed of every random draw", "--tensorboard, --no-tensorboard", "TensorBoard",
                  "[s]; config key time_budget_seconds", "else 300.0"):
        assert words in " ".join(train_help.split()), words


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        holdem_main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"holdem {__version__}"


def test_old_spellings_still_work() -> None:
    parser = build_parser()
    assert parser.parse_args(["eval", "random", "--against", "random", "--hands", "2", "--workers", "3"]).workers == "3"
    assert parser.parse_args(["eval", "random", "--against", "random", "--hands", "2", "--num-workers", "3"]
                             ).workers == "3"
    query = ["policy", "query", "run", "--seat", "0", "--hole", "AhKh"]
    assert parser.parse_args([*query, "--actions", "raise 300"]).betting == "raise 300"
    assert parser.parse_args([*query, "--betting", "raise 300"]).betting == "raise 300"
    assert parser.parse_args(["tree", "info", "--menu", "tiny"]).menu == "tiny"
    assert parser.parse_args(["tree", "info", "--actions", "tiny"]).menu == "tiny"
    train = parser.parse_args(["train", "--logdir", "x", "--iterations", "5", "--actions", "tiny"])
    assert (train.iters, train.actions) == (5, "tiny")


def test_game_flag_picks_lossless_buckets_for_small_games(tmp_path: Path) -> None:
    from holdem.cli.train_blueprint import config_from_args

    parser = build_parser()
    for game in ("leduc", "kuhn"):
        args = parser.parse_args(["train", "--logdir", str(tmp_path), "--game", game])
        config = config_from_args(args)
        assert config.game == game and config.buckets is None, "quickstart's hold'em buckets are dropped"
    hunl = config_from_args(parser.parse_args(["train", "--logdir", str(tmp_path), "--game", "hunl"]))
    assert hunl.buckets == "quick"
    assert build_config({"game": "leduc"}).buckets is None
