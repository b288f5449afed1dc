"""Monte Carlo CFR: tables, compiled batch kernels, exact exploitability and a sequential trainer."""

from holdem.mccfr.batch import BatchResult, BatchRunner, merge_deltas
from holdem.mccfr.config import ConfigError, MCCFRConfig
from holdem.mccfr.tables import DeltaBuffer, PackedDeltas, Tables, apply_deltas, discount, pack_deltas
from holdem.mccfr.trainer import Trainer, TrainResult

__all__ = [
    "BatchResult", "BatchRunner", "ConfigError", "DeltaBuffer", "MCCFRConfig", "PackedDeltas", "Tables",
    "TrainResult", "Trainer", "apply_deltas", "discount", "merge_deltas", "pack_deltas",
]
