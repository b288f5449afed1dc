"""Head-to-head evaluation: agents, baselines, duplicate matches (compiled heads-up, or the rules engine),
intervals, variance reduction, exact and local best responses.

Owns how strength is measured: who plays whom, how hands are dealt and scored, and the best-response agents.
"""

from holdem.engine.seat import CHECK_OR_CALL, FOLD, Move, SeatView
from holdem.evaluation.agents import (
    Agent,
    AlwaysCall,
    AlwaysFold,
    AlwaysMinRaise,
    RandomAgent,
    Strategy,
    StrategyAgent,
    sample_move,
)
from holdem.evaluation.heuristic import HeuristicAgent, hand_strength
from holdem.evaluation.match import AgentError, MatchResult, play_duplicate_group, play_hand, run_match
from holdem.evaluation.registry import BASELINES, AgentSpecError, load_agent
from holdem.evaluation.stats import WinRate, win_rate

__all__ = [
    "BASELINES", "CHECK_OR_CALL", "FOLD", "Agent", "AgentError", "AgentSpecError", "AlwaysCall", "AlwaysFold",
    "AlwaysMinRaise", "HeuristicAgent", "MatchResult", "Move", "RandomAgent", "SeatView", "Strategy",
    "StrategyAgent", "WinRate", "hand_strength", "load_agent", "play_duplicate_group",
    "play_hand", "run_match", "sample_move", "win_rate",
]
