"""Benchmark the abstraction: betting-tree build time and node counts per round for the shipped
game × menu configurations, and projected table memory for bucket configurations.

Writes bench/results/abstraction.json. Each section is a function returning a JSON-ready dict, listed
in SECTIONS, so other parts of the abstraction (card buckets) can add theirs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from holdem.abstraction.actions import load_menu
from holdem.abstraction.tree import BettingTree, build_tree
from holdem.games import load_game

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "abstraction.json"
TREE_CONFIGS = (
    ("kuhn", None), ("leduc", None),
    ("hunl", "tiny"), ("hunl", "quick"), ("hunl", "mid"),
    ("6max", "tiny"), ("6max", "quick"), ("6max", "mid"),
)
LIMIT_BUCKETS = {"kuhn": (3,), "leduc": (6, 30)}
HOLDEM_BUCKETS = {"tiny": (169, 8, 8, 8), "quick": (169, 50, 50, 100), "mid": (169, 200, 200, 200)}


def bucket_configs() -> dict[str, tuple[int, ...]]:
    """Hold'em bucket counts per shipped bucket spec (falls back to the documented sizes)."""
    try:
        from holdem.abstraction.specs import builtin_specs, load_spec
    except ImportError:
        return dict(HOLDEM_BUCKETS)
    out = {}
    for name in builtin_specs():
        spec = load_spec(name)
        out[name] = (169, spec.flop.buckets, spec.turn.buckets, spec.river.buckets)
    return out or dict(HOLDEM_BUCKETS)


def timed_build(game_name: str, menu_name: str | None, num_buckets: tuple[int, ...], repeats: int
                ) -> tuple[BettingTree, float]:
    """Best-of-``repeats`` build time (one run when a build takes over a second)."""
    game = load_game(game_name)
    menu = load_menu(menu_name) if menu_name else None
    best = float("inf")
    tree = None
    for _ in range(repeats):
        start = time.perf_counter()
        tree = build_tree(game, menu, num_buckets)
        best = min(best, time.perf_counter() - start)
        if best > 1.0:
            break
    assert tree is not None
    return tree, best


def bench_trees(repeats: int = 3) -> dict[str, Any]:
    """Build time, node counts per round and kind, rows and projected tables per game × menu."""
    buckets = bucket_configs()
    out: dict[str, Any] = {}
    for game_name, menu_name in TREE_CONFIGS:
        nb = LIMIT_BUCKETS.get(game_name) or buckets.get(menu_name or "", HOLDEM_BUCKETS[menu_name or "tiny"])
        tree, seconds = timed_build(game_name, menu_name, nb, repeats)
        s = tree.summary()
        key = f"{game_name}/{menu_name or 'limit'}"
        out[key] = {
            "build_seconds": seconds,
            "nodes_per_second": s["num_nodes"] / seconds,
            "num_nodes": s["num_nodes"],
            "nodes_by_kind": s["nodes_by_kind"],
            "nodes_by_round": {str(r): v for r, v in s["nodes_by_street"].items()},
            "decisions_by_player": s["decisions_by_player"],
            "max_actions": s["max_actions"],
            "num_buckets": s["num_buckets"],
            "num_rows": s["num_rows"],
            "projected_table_bytes": s["projected_table_bytes"],
            "tree_bytes": s["tree_bytes"],
        }
        print(f"  {key:<12} {s['num_nodes']:>10,} nodes  {seconds:7.3f}s  rows {s['num_rows']:>12,}  "
              f"tables {s['projected_table_bytes'] / 2**20:10.1f} MiB  (buckets {list(nb)})")
    return out


def bench_projection() -> dict[str, Any]:
    """Projected regret + strategy-sum bytes of every hold'em tree under every bucket configuration."""
    buckets = bucket_configs()
    out: dict[str, Any] = {}
    for game_name, menu_name in TREE_CONFIGS:
        if menu_name is None:
            continue
        tree = build_tree(load_game(game_name), load_menu(menu_name), (1, 1, 1, 1))
        key = f"{game_name}/{menu_name}"
        out[key] = {name: {"num_buckets": list(nb), "num_rows": tree.rows_for(nb),
                           "projected_table_bytes": tree.projected_table_bytes(nb)}
                    for name, nb in buckets.items()}
    return out


def bench_files() -> dict[str, Any]:
    """Save, load (with checksum verification) and content-hash times of a mid-sized tree."""
    tree = build_tree(load_game("6max"), load_menu("quick"), HOLDEM_BUCKETS["quick"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tree.npz"
        start = time.perf_counter()
        tree.save(path)
        save_s = time.perf_counter() - start
        size = path.stat().st_size
        start = time.perf_counter()
        BettingTree.load(path)
        load_s = time.perf_counter() - start
    start = time.perf_counter()
    tree.content_hash()
    hash_s = time.perf_counter() - start
    print(f"  6max/quick file {size / 2**20:.1f} MiB: save {save_s:.3f}s, load+verify {load_s:.3f}s, "
          f"hash {hash_s:.3f}s")
    return {"tree": "6max/quick", "file_bytes": size, "save_seconds": save_s, "load_seconds": load_s,
            "hash_seconds": hash_s}


SECTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "trees": bench_trees,
    "projection": bench_projection,
    "files": bench_files,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="run only these sections")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    if args.out.exists():
        try:
            results = json.loads(args.out.read_text())
        except ValueError:
            results = {}
    results["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "python": platform.python_version()}
    for name in args.only or list(SECTIONS):
        print(f"{name}:")
        results[name] = SECTIONS[name]()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
