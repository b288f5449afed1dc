"""Training a blueprint: the run's state, its supervisor job and worker, config, checkpoints, shared tables.

Glue between the poker domain (``holdem.mccfr``) and the generic supervisor (``orchestrator``); ``train()``
is the one public entry. Names load on first use, so a worker process (``python -m holdem.training.worker``)
imports only what it runs, not the supervisor's side.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "ConfigError": "config", "TrainConfig": "config", "build_config": "config", "load_config_file": "config",
    "RunError": "errors", "RunOutcome": "outcome", "train": "run", "create": "setup", "resume": "setup",
    "BlueprintRun": "state",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'holdem.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"holdem.training.{home}"), name)
    globals()[name] = value
    return value
