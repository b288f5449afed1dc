"""Training a blueprint: the run's state, its supervisor job and worker, config, checkpoints, shared tables.

Glue between the poker domain (``holdem.mccfr``) and the generic supervisor (``orchestrator``); ``train()``
is the one public entry.
"""

from holdem.training.config import ConfigError, TrainConfig, build_config, load_config_file
from holdem.training.errors import RunError
from holdem.training.outcome import RunOutcome
from holdem.training.run import train
from holdem.training.setup import create, resume
from holdem.training.state import BlueprintRun

__all__ = [
    "BlueprintRun", "ConfigError", "RunError", "RunOutcome", "TrainConfig", "build_config", "create",
    "load_config_file", "resume", "train",
]
