"""Agents by name: the baselines now, and the one place where policy files and run directories will load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from holdem.evaluation.agents import Agent, AlwaysCall, AlwaysMinRaise, RandomAgent
from holdem.evaluation.heuristic import HeuristicAgent
from holdem.games import GameDef

BASELINES: dict[str, Callable[[], Agent]] = {
    "random": RandomAgent,
    "always-call": AlwaysCall,
    "always-min-raise": AlwaysMinRaise,
    "heuristic": HeuristicAgent,
}


class AgentSpecError(ValueError):
    """An agent spec that names no baseline and no loadable policy."""


def load_agent(spec: str, game: GameDef) -> Agent:
    """The agent a spec names for ``game``: a baseline name, or (once policy files exist) a path.

    A path is a policy file or a run directory; loading it must check that it was trained for ``game``.
    """
    factory = BASELINES.get(spec)
    if factory is not None:
        return factory()
    if Path(spec).exists():
        return load_policy_agent(Path(spec), game)
    raise AgentSpecError(f"unknown agent {spec!r}: expected one of {sorted(BASELINES)}, "
                         f"a policy file or a run directory")


def load_policy_agent(path: Path, game: GameDef) -> Agent:
    """A blueprint agent from a policy file or run directory; not available until the policy format lands."""
    raise AgentSpecError(f"{path}: evaluating policy files and run directories is not supported yet; "
                         f"use a baseline: {sorted(BASELINES)}")
