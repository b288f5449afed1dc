"""holdem: poker blueprints trained with parallel Monte Carlo CFR.

Layers, bottom up: cards, evaluator, showdown, fileformat; games; engine; abstraction; mccfr; policy;
evaluation; play and view; training (with the generic ``orchestrator``); cli. See docs/architecture.md.

The Python API (docs/python-api.md): ``from holdem import train, build_config, Policy``. The names load
on first use, so importing a submodule stays cheap. Importing the package points numba's on-disk cache at a
directory keyed by its sources (``holdem.numba_cache``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from holdem.numba_cache import use_source_keyed_cache

use_source_keyed_cache()

__version__ = "0.1.0"

_API = {
    "train": "holdem.training",
    "build_config": "holdem.training",
    "load_config_file": "holdem.training",
    "TrainConfig": "holdem.training",
    "RunOutcome": "holdem.training",
    "Policy": "holdem.policy",
    "PolicyError": "holdem.policy",
    "load_game": "holdem.games",
}
__all__ = [*_API, "__version__"]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'holdem' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
