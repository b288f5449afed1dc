"""The ``holdem`` command and ``python -m holdem.cli.train_blueprint``: flags in, one-line errors out.

Each subcommand lives in its own module and calls into the library; nothing here computes.
"""
