"""A trained blueprint in use: policy files (load, check, export), queries at a real table, off-tree translation.

Owns the policy file formats it reads and writes, and everything that maps a real hand onto the tree.
"""

from holdem.policy.files import PolicyError, policy_file_of, policy_game, quantise, save_average_policy
from holdem.policy.policy import STREET_NAMES, ActionOption, Decision, Policy, format_hand

__all__ = [
    "STREET_NAMES", "ActionOption", "Decision", "Policy", "PolicyError", "format_hand", "policy_file_of",
    "policy_game", "quantise", "save_average_policy",
]
