"""The error a run reports when it cannot start or resume: one line, shown to the user as is."""

from __future__ import annotations


class RunError(ValueError):
    """A run that cannot start or resume; the message is one line."""


class OutputError(RunError):
    """A file of the run (events, checkpoint, snapshot, blueprint) could not be written: the run must end."""
