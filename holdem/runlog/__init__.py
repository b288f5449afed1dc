"""A run directory's event log read back: following the growing file, folding events into a run's state,
and rendering it for a terminal (``scripts/tail_logs.py``, ``scripts/plot_run.py`` and the benchmarks)."""
