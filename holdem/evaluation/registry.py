"""Agents by name: the baselines, policy files and run directories, and best responses to a policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from holdem.evaluation.agents import Agent, AlwaysCall, AlwaysFold, AlwaysMinRaise, RandomAgent
from holdem.evaluation.heuristic import HeuristicAgent
from holdem.games import GameDef

BASELINES: dict[str, Callable[[], Agent]] = {
    "random": RandomAgent,
    "always-call": AlwaysCall,
    "always-fold": AlwaysFold,
    "always-min-raise": AlwaysMinRaise,
    "heuristic": HeuristicAgent,
}


class AgentSpecError(ValueError):
    """An agent spec that names no baseline and no loadable policy."""


BEST_RESPONSE_PREFIX = "br:"
LBR_PREFIX = "lbr"


def load_agent(spec: str, game: GameDef) -> Agent:
    """The agent a spec names for ``game``: a baseline name, a policy path, ``br:PATH`` or ``lbr[:...]``.

    A path is a policy file or a run directory; loading it checks that it was trained for ``game``.
    ``br:PATH`` is the exact best response to that policy (small games only); ``lbr`` is local best
    response to whatever it faces (see :mod:`holdem.evaluation.lbr` for its settings).
    """
    factory = BASELINES.get(spec)
    if factory is not None:
        return factory()
    if spec == LBR_PREFIX or spec.startswith((LBR_PREFIX + ":", LBR_PREFIX + "@")):
        return load_lbr_agent(spec, game)
    if spec.startswith(BEST_RESPONSE_PREFIX):
        target = Path(spec[len(BEST_RESPONSE_PREFIX):])
        if not target.exists():
            raise AgentSpecError(f"no such file or directory: {str(target)!r} (in {spec!r})")
        return load_best_response_agent(target, game)
    if Path(spec).exists():
        return load_policy_agent(Path(spec), game)
    if _looks_like_path(spec):
        raise AgentSpecError(f"no such file or directory: {spec!r} (agents are a baseline such as "
                             f"{sorted(BASELINES)[0]!r}, a policy file or a run directory)")
    raise AgentSpecError(f"unknown agent {spec!r}: expected one of {sorted(BASELINES)}, "
                         f"a policy file, a run directory, {BEST_RESPONSE_PREFIX}PATH or {LBR_PREFIX}[:MENUS]")


def _looks_like_path(spec: str) -> bool:
    """A spec meant as a file: it has a folder separator or a file suffix such as ``.npz``."""
    return "/" in spec or "\\" in spec or Path(spec).suffix != "" or spec.startswith(("~", "."))


def load_policy_agent(path: Path, game: GameDef) -> Agent:
    """A blueprint agent from a policy file or run directory, validated now and loaded again per process."""
    from holdem.evaluation.blueprint import BlueprintAgent
    from holdem.policy import Policy, PolicyError

    try:
        policy = Policy.load(path, game=game)
    except PolicyError as exc:
        raise AgentSpecError(str(exc)) from None
    return BlueprintAgent(path.resolve(), game, name=str(path), policy=policy)


def load_best_response_agent(path: Path, game: GameDef) -> Agent:
    """The exact best response to the policy at ``path``, played as a pure policy table."""
    from holdem.evaluation.best_response import best_response
    from holdem.evaluation.blueprint import BlueprintAgent
    from holdem.mccfr.exploitability import ExploitabilityError
    from holdem.policy import Policy, PolicyError

    try:
        policy = Policy.load(path, game=game)
        table = best_response(policy).table
    except (PolicyError, ExploitabilityError) as exc:
        raise AgentSpecError(f"{BEST_RESPONSE_PREFIX}{path}: {exc}") from None
    return BlueprintAgent(path.resolve(), game, name=f"{BEST_RESPONSE_PREFIX}{path}", probabilities=table)


def load_lbr_agent(spec: str, game: GameDef) -> Agent:
    """Local best response with the settings of ``spec`` (``lbr``, ``lbr:fcpa``, ``lbr:fc/fcpa/fcpa/fcpa@500``)."""
    from holdem.evaluation.lbr import LBRSpecError, LocalBestResponse, parse_lbr

    try:
        return LocalBestResponse(parse_lbr(spec, game))
    except LBRSpecError as exc:
        raise AgentSpecError(str(exc)) from None
