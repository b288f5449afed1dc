"""Abstraction: action menus compiled into a flat betting tree, and card buckets (specs, building, files).

Owns what makes a real game small enough to solve; bucket lookups are plain array indexing inside kernels.
"""
