"""Pictures of a policy: the range grid and per-bucket strategy table as one HTML file or a PNG.

Owns how a strategy looks (colours per action, layout); the numbers come from :mod:`holdem.policy.ranges`.
"""
