"""Head-to-head evaluation through the rules engine: agents, baselines, duplicate matches, intervals."""

from holdem.evaluation.agents import (
    CHECK_OR_CALL,
    FOLD,
    Agent,
    AlwaysCall,
    AlwaysMinRaise,
    Move,
    RandomAgent,
    SeatView,
    Strategy,
    StrategyAgent,
    sample_move,
)
from holdem.evaluation.heuristic import HeuristicAgent, hand_strength
from holdem.evaluation.match import AgentError, MatchResult, play_duplicate_group, play_hand, run_match
from holdem.evaluation.registry import BASELINES, AgentSpecError, load_agent
from holdem.evaluation.stats import WinRate, chip_unit, win_rate

__all__ = [
    "BASELINES", "CHECK_OR_CALL", "FOLD", "Agent", "AgentError", "AgentSpecError", "AlwaysCall",
    "AlwaysMinRaise", "HeuristicAgent", "MatchResult", "Move", "RandomAgent", "SeatView", "Strategy",
    "StrategyAgent", "WinRate", "chip_unit", "hand_strength", "load_agent", "play_duplicate_group",
    "play_hand", "run_match", "sample_move", "win_rate",
]
