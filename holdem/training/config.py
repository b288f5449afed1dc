"""Training configuration: YAML file plus CLI overrides, validated once into :class:`TrainConfig`.

Keys are flat. The seed's names (``time_budget_seconds``, ``num_iterations``, ``checkpoint_interval``,
``use_linear_weighting``, ``enable_pruning``, ...) are accepted beside ours; algorithm keys are
validated by :class:`holdem.mccfr.config.MCCFRConfig`.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from holdem.mccfr.config import MCCFRConfig

CONFIGS_DIR = Path(__file__).resolve().parents[2] / "configs"


class ConfigError(ValueError):
    """A configuration that cannot run; the message is one line naming the key at fault."""


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything a training run needs besides its log directory."""

    game: str = "leduc"
    actions: str | None = None
    buckets: str | None = None
    time_budget_seconds: float | None = None
    iterations: int | None = None
    num_workers: int = 0
    batch_size: int | None = None
    batch_target_seconds: float = 0.1
    credits: int = 2
    merge_threads: int = 1
    checkpoint_interval_seconds: float = 300.0
    checkpoint_interval_iterations: int | None = None
    snapshot_interval_seconds: float = 600.0
    keep_checkpoints: int = 3
    progress_interval_seconds: float = 1.0
    exploitability_interval_seconds: float = 5.0
    tensorboard: bool = False
    regret_sharing: str = "auto"
    max_restarts: int = 10
    restart_window_s: float = 60.0
    regret_dtype: str = "float32"
    backend: str = "local"
    ray_address: str | None = None
    ray_refresh_batches: int = 16
    ray_refresh_seconds: float = 1.0
    mccfr: MCCFRConfig = field(default_factory=MCCFRConfig)

    @property
    def workers(self) -> int:
        """Worker count with 0 meaning every core."""
        return self.num_workers or (os.cpu_count() or 1)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "mccfr"}
        out.update(self.mccfr.to_dict())
        return out


_RUN_KEYS = {f.name for f in fields(TrainConfig)} - {"mccfr"}
_ALIASES = {
    "num_iterations": "iterations",
    "iters": "iterations",
    "checkpoint_interval": "checkpoint_interval_iterations",
    "checkpoint_seconds": "checkpoint_interval_seconds",
    "bucket_file": "buckets",
    "action_menu": "actions",
    "use_tensorboard": "tensorboard",
}
_IGNORED_SEED_KEYS = {"num_players"}


def _number(key: str, value: Any, kind: type, minimum: float, allow_none: bool = True) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if kind is int and float(value) != int(value):
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, got {value!r}")
    return kind(value)


def _run_values(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "regret_dtype":
            if value not in ("float32", "int32", "int16"):
                raise ConfigError(f"regret_dtype must be float32, int32 or int16, got {value!r}")
            out[key] = value
        elif key == "backend":
            if value not in ("local", "ray"):
                raise ConfigError(f"backend must be local or ray, got {value!r}")
            out[key] = value
        elif key == "ray_address":
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"ray_address must be host:port or auto, got {value!r}")
            out[key] = value
        elif key == "regret_sharing":
            if value not in ("auto", "shared", "independent"):
                raise ConfigError(f"regret_sharing must be auto, shared or independent, got {value!r}")
            out[key] = value
        elif key in ("game", "actions", "buckets"):
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{key} must be a name or a path, got {value!r}")
            out[key] = value
        elif key == "batch_size":
            out[key] = None if value in (None, "auto") else _number(key, value, int, 1)
        elif key == "tensorboard":
            if not isinstance(value, bool):
                raise ConfigError(f"tensorboard must be true or false, got {value!r}")
            out[key] = value
        elif key in ("iterations", "checkpoint_interval_iterations"):
            out[key] = _number(key, value, int, 1)
        elif key in ("num_workers",):
            out[key] = _number(key, value, int, 0, allow_none=False)
        elif key in ("credits", "keep_checkpoints", "max_restarts", "merge_threads", "ray_refresh_batches"):
            out[key] = _number(key, value, int, 1, allow_none=False)
        elif key == "time_budget_seconds":
            out[key] = _number(key, value, float, 0.0)
        else:
            out[key] = _number(key, value, float, 0.0, allow_none=False)
    return out


def build_config(raw: dict[str, Any]) -> TrainConfig:
    """Validate a flat mapping of keys (file values with CLI overrides applied) into a config."""
    run: dict[str, Any] = {}
    algo: dict[str, Any] = {}
    valid = sorted(_RUN_KEYS | set(_ALIASES) | set(MCCFRConfig.keys()))
    for key, value in raw.items():
        name = _ALIASES.get(key, key)
        if name in _IGNORED_SEED_KEYS:
            continue
        if name in _RUN_KEYS:
            run[name] = value
        elif name in MCCFRConfig.keys():
            algo[name] = value
        else:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"unknown config key {key!r}{hint}")
    try:
        mccfr = MCCFRConfig.from_dict(algo)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    config = TrainConfig(**_run_values(run), mccfr=mccfr)
    if config.regret_dtype == "int32" and config.mccfr.use_linear_weighting:
        raise ConfigError("regret_dtype int32 with use_linear_weighting overflows (regrets grow like t^2): use "
                          "int16 (a scale per row) or float32, or discount_mode pluribus for linear CFR")
    if config.time_budget_seconds is None and config.iterations is None:
        config = replace(config, time_budget_seconds=60.0)
    return config


def resolve_config_path(name_or_path: str) -> Path:
    """A config file by path, or by name in ``configs/`` (``leduc`` → ``configs/leduc.yaml``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    candidate = CONFIGS_DIR / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    raise ConfigError(f"config file {name_or_path} does not exist")


def load_config_file(name_or_path: str) -> dict[str, Any]:
    """Raw key/value mapping of a YAML config; one clear line if unreadable or not a mapping."""
    path = resolve_config_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where} is not valid YAML") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of keys to values")
    return data
