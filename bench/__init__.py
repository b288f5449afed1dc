"""Benchmarks, run as ``python -m bench.<name>`` (``make bench`` runs them all), each writing
``bench/results/<name>.json``; ``bench.report`` turns those files into BENCHMARKS.md."""
