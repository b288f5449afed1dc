"""What every configuration key means: its type, default, unit, the seed's name for it, and the flag that sets it.

A key's documentation is the field's own ``metadata`` (``field(default=..., metadata={"doc": ..., "unit": ...,
"seed": ...})``) when it has one, else its entry in :data:`KEY_DOCS`. :func:`config_reference` renders
docs/configuration.md from the config classes, and ``tests/test_config_doc.py`` regenerates it to keep the
page in sync: a new key without a description fails there, naming the key and where to describe it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from holdem.mccfr.config import MCCFRConfig
from holdem.training.config import _ALIASES, _IGNORED_SEED_KEYS, TrainConfig


@dataclass(frozen=True)
class KeyDoc:
    """One key: what it does, its unit (empty when it has none) and the seed project's names for it (its YAML key
    and/or flag, comma-separated), if it had any."""

    doc: str
    unit: str = ""
    seed: str | None = None


KEY_DOCS: dict[str, KeyDoc] = {
    # TrainConfig
    "game": KeyDoc("game name in configs/games (kuhn, kuhn3, leduc, hunl, 6max) or an ACPC .game file",
                   seed="--game"),
    "actions": KeyDoc("action menu of a no-limit game: a name in configs/actions (tiny, quick, mid) or a YAML "
                      "file; limit games ignore it"),
    "buckets": KeyDoc("card abstraction: a bucket spec name in configs/buckets (tiny, quick, mid; built into "
                      "assets/buckets/ on first use), a .npz bucket file, or lossless (the default for games "
                      "that are not hold'em)", seed="--buckets"),
    "time_budget_seconds": KeyDoc("training seconds of this invocation (a resume trains this much more); the "
                                  "run stops when it or the iteration target is reached (60 s when neither is "
                                  "set)", "s", seed="time_budget_seconds, --time-budget"),
    "iterations": KeyDoc("the run's total iteration target (a resume trains up to it; one iteration traverses "
                         "the tree once per player)", "iterations", seed="num_iterations, --iters"),
    "num_workers": KeyDoc("worker processes; 0 = every core, 1 = in-process and bitwise reproducible",
                          "processes", seed="--num-workers"),
    "batch_size": KeyDoc("iterations per worker task, or auto (sized from measured speed to last about "
                         "batch_target_seconds)", "iterations", seed="--batch-size"),
    "batch_target_seconds": KeyDoc("how long an auto-sized batch should take; also the shortest kernel time a "
                                   "worker holds before it sends one result for several tasks (longer when "
                                   "merging is busy: results are paced)", "s"),
    "credits": KeyDoc("tasks queued per worker at least (raised so short tasks queue about batch_target_seconds "
                      "of work)", "tasks"),
    "merge_threads": KeyDoc("threads merging one result into the tables (disjoint row ranges); more only helps "
                            "when cores are free", "threads"),
    "checkpoint_interval_seconds": KeyDoc("checkpoint every this many seconds of training", "s"),
    "checkpoint_interval_iterations": KeyDoc("also checkpoint every this many iterations (unset: by time only)",
                                             "iterations", seed="checkpoint_interval, --checkpoint-interval"),
    "snapshot_interval_seconds": KeyDoc("write an average-policy snapshot every this many seconds", "s",
                                        seed="--snapshot-interval"),
    "keep_checkpoints": KeyDoc("checkpoints kept on disk (the newest)", "files"),
    "progress_interval_seconds": KeyDoc("progress event (and live line) every this many seconds", "s"),
    "exploitability_interval_seconds": KeyDoc("measure exact exploitability (small games) every this many "
                                              "seconds", "s"),
    "tensorboard": KeyDoc("also write TensorBoard scalars (needs the tensorboard extra)", seed="--tensorboard"),
    "regret_sharing": KeyDoc("shared: workers read the master regrets; independent: one regret learner per "
                             "worker, strategy sums pooled; auto: independent below 100,000 table rows"),
    "max_restarts": KeyDoc("worker restarts allowed within restart_window_s before the run fails", "restarts"),
    "restart_window_s": KeyDoc("sliding window for max_restarts", "s"),
    "regret_dtype": KeyDoc("how the regret table is stored: float32; int32 (a fixed unit near 1/256 big blind, "
                           "saturating at about 8 M big blinds, as Pluribus); int16 with power-of-two scales per "
                           "row, one for its positive and one for its negative regrets (as postflop-solver). "
                           "Compact tables are not prefaulted; strategy sums stay float32"),
    "backend": KeyDoc("local (worker processes on this machine, tables in shared memory) or ray (workers as Ray "
                      "actors anywhere in a cluster; needs the ray extra, see docs/cluster.md)"),
    "ray_address": KeyDoc("Ray cluster to join (host:port of the head, or auto); unset: start a local Ray for "
                          "this run and stop it at the end"),
    "ray_refresh_batches": KeyDoc("ray backend: publish a new regret snapshot to the workers after this many "
                                  "merged batches", "batches"),
    "ray_refresh_seconds": KeyDoc("ray backend: also publish a new regret snapshot after this many "
                                  "seconds, whichever comes first", "s"),
    # MCCFRConfig
    "algorithm": KeyDoc("external (external-sampling MCCFR) or outcome (outcome sampling)"),
    "seed": KeyDoc("seed of every random draw of the run (deals, sampled actions, pruning coins)", seed="--seed"),
    "exploration_epsilon": KeyDoc("outcome sampling: share of uniform exploration at the sampling player's "
                                  "nodes", "probability", seed="exploration_epsilon, --epsilon"),
    "epsilon_schedule": KeyDoc("list of [iteration, epsilon] pairs replacing exploration_epsilon from each "
                               "iteration on", "iterations, probability", seed="epsilon_schedule"),
    "use_linear_weighting": KeyDoc("linear CFR: weight iteration t's regret and strategy by t + 1",
                                   seed="use_linear_weighting"),
    "discount_mode": KeyDoc("none, static (multiply by the alpha/beta below), dcfr (Discounted CFR factors) or "
                            "pluribus (multiply both tables by T/(T+1))"),
    "discount_interval": KeyDoc("apply the discount every this many iterations", "iterations",
                                seed="discount_interval, --discount-interval"),
    "discount_cutoff": KeyDoc("stop discounting after this many iterations (unset: never)", "iterations"),
    "regret_discount_alpha": KeyDoc("static discount: factor on regrets", "factor", seed="regret_discount_alpha"),
    "strategy_discount_beta": KeyDoc("static discount: factor on strategy sums", "factor",
                                     seed="strategy_discount_beta"),
    "dcfr_alpha": KeyDoc("Discounted CFR: positive regrets scale by T^alpha / (T^alpha + 1)", "exponent"),
    "dcfr_beta": KeyDoc("Discounted CFR: negative regrets scale by T^beta / (T^beta + 1)", "exponent"),
    "dcfr_gamma": KeyDoc("Discounted CFR: strategy sums scale by (T / (T + 1))^gamma", "exponent"),
    "enable_pruning": KeyDoc("regret-based pruning: skip actions whose regret is below pruning_threshold",
                             seed="enable_pruning"),
    "pruning_warmup": KeyDoc("iterations before pruning starts", "iterations"),
    "pruning_threshold": KeyDoc("regret below which an action may be pruned, fixed (unset: -300M, as Pluribus); "
                                "prefer pruning_threshold_bb_per_iteration", "regret (chips x weight)",
                                seed="pruning_threshold"),
    "pruning_threshold_bb_per_iteration": KeyDoc("pruning threshold that scales with the run: this many big "
                                                 "blinds times the effective iterations so far (the summed "
                                                 "weight of the iterations after weighting and discounts)",
                                                 "bb per effective iteration"),
    "pruning_probability": KeyDoc("share of iterations that prune", "probability", seed="pruning_probability"),
    "regret_floor": KeyDoc("lowest value a regret may take (unset: unbounded), as in Pluribus",
                           "regret (chips x weight)"),
    "regret_floor_bb_per_iteration": KeyDoc("regret floor that scales with the run like "
                                            "pruning_threshold_bb_per_iteration; keep it a little below the "
                                            "threshold so a pruned action can come back",
                                            "bb per effective iteration"),
}

CONFIG_CLASSES = (TrainConfig, MCCFRConfig)


def documented_fields() -> list[tuple[type, dataclasses.Field[Any]]]:
    """Every configuration key's field, run keys first then algorithm keys (the nested ``mccfr`` left out)."""
    return [(cls, f) for cls in CONFIG_CLASSES for f in dataclasses.fields(cls) if f.name != "mccfr"]


def key_doc(f: dataclasses.Field[Any]) -> KeyDoc | None:
    """A field's documentation: its metadata first, else :data:`KEY_DOCS`; None when it has none."""
    meta = f.metadata
    if meta.get("doc"):
        return KeyDoc(str(meta["doc"]), str(meta.get("unit", "")), meta.get("seed"))
    return KEY_DOCS.get(f.name)


def missing_docs() -> list[str]:
    """One line per key that has no description, saying where to add one."""
    return [f"{cls.__name__}.{f.name} has no description: add metadata={{'doc': ..., 'unit': ...}} to the field "
            f"or an entry to KEY_DOCS in holdem/training/config_doc.py"
            for cls, f in documented_fields() if key_doc(f) is None]


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def type_name(annotation: Any) -> str:
    """``float``, ``int or unset``, ``list of [int, float]`` ... from a field's resolved annotation."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        parts = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(parts) < len(typing.get_args(annotation))
        text = " or ".join(type_name(a) for a in parts)
        return f"{text} or unset" if optional else text
    if typing.get_origin(annotation) is tuple:
        inner = typing.get_args(annotation)
        if len(inner) == 2 and inner[1] is Ellipsis:
            return f"list of {type_name(inner[0])}"
        return "[" + ", ".join(type_name(a) for a in inner) + "]"
    return getattr(annotation, "__name__", str(annotation))


def _value(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e6:
        return f"{int(value):_}".replace("_", ",")
    return str(value)


def flag_help(key: str, text: str | None = None) -> str:
    """``--help`` text of a flag that overrides a config key: what it does, its unit, the key and its default."""
    fields_by_name = {f.name: f for _, f in documented_fields()}
    f = fields_by_name[key]
    doc = key_doc(f)
    body = text or (doc.doc if doc else key)
    unit = f" [{doc.unit}]" if doc and doc.unit else ""
    return f"{body}{unit}; config key {key}, default: the config file's, else {_value(default_of(f))}".replace(
        "%", "%%")


def config_reference(flags: Mapping[str, list[str]]) -> str:
    """The Markdown page docs/configuration.md: one table row per key; ``flags`` maps a key to its CLI flags."""
    aliases: dict[str, list[str]] = {}
    for alias, key in _ALIASES.items():
        aliases.setdefault(key, []).append(alias)
    lines = [
        "# Configuration keys",
        "",
        "Generated from `TrainConfig` (holdem/training/config.py) and `MCCFRConfig` (holdem/mccfr/config.py) by",
        "`holdem config-doc`; `tests/test_config_doc.py` fails when this page and the classes disagree.",
        "",
        "A config is a flat YAML mapping (see configs/*.yaml); command-line flags override the file's values;",
        "`build_config` validates the result once and names the closest valid key when one is misspelt. The",
        "seed's names for keys are accepted as aliases. `--config NAME` reads `configs/NAME.yaml`; `holdem train`",
        "reads `configs/quickstart.yaml` when no `--config` is given. The defaults below apply to keys a file and",
        "the flags leave out (and to `holdem.build_config` in Python); `unset` means the key is off or automatic.",
        "",
        "| key | type | default | unit | flag | also accepted | seed's name | what it does |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cls, f in documented_fields():
        doc = key_doc(f)
        assert doc is not None, f"{cls.__name__}.{f.name} has no description"
        flag = ", ".join(f"`{x}`" for x in flags.get(f.name, [])) or "-"
        also = ", ".join(f"`{a}`" for a in sorted(aliases.get(f.name, []))) or "-"
        seed = ", ".join(f"`{name.strip()}`" for name in doc.seed.split(",")) if doc.seed else "-"
        annotation = typing.get_type_hints(cls)[f.name]
        lines.append(f"| `{f.name}` | {type_name(annotation)} | {_value(default_of(f))} | {doc.unit or '-'} | {flag} "
                     f"| {also} | {seed} | {doc.doc} |")
    ignored = ", ".join(f"`{k}`" for k in sorted(_IGNORED_SEED_KEYS))
    lines += ["", f"Accepted and ignored for the seed's configs: {ignored} (the game fixes it).", ""]
    return "\n".join(lines)
