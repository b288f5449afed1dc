"""holdem: poker blueprints trained with parallel Monte Carlo CFR.

Layers, bottom up: cards, evaluator, showdown, fileformat; games; engine; abstraction; mccfr; policy;
evaluation; training (with the generic ``orchestrator``); cli. See docs/architecture.md.
"""
