"""Monte Carlo CFR over flat tables: compiled batch kernels, deltas, discounting and exact exploitability.

Pure computation on numpy arrays; the loops that drive batches live in ``holdem.training``.
"""

from holdem.mccfr.batch import BatchResult, BatchRunner, merge_deltas
from holdem.mccfr.config import ConfigError, MCCFRConfig
from holdem.mccfr.tables import DeltaBuffer, PackedDeltas, Tables, apply_deltas, discount, pack_deltas

__all__ = [
    "BatchResult", "BatchRunner", "ConfigError", "DeltaBuffer", "MCCFRConfig", "PackedDeltas", "Tables",
    "apply_deltas", "discount", "merge_deltas", "pack_deltas",
]
