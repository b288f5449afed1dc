"""The error a run reports when it cannot start or resume: one line, shown to the user as is."""

from __future__ import annotations


class RunError(ValueError):
    """A run that cannot start or resume; the message is one line."""
