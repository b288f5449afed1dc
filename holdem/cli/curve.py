"""``holdem eval RUN --curve``: LBR and head-to-head against the final blueprint for every snapshot of a run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from holdem.cli.reports import parse_count, write_json
from holdem.evaluation import AgentError, AgentSpecError
from holdem.evaluation.curve import CurveError, CurvePoint, strength_curve
from holdem.evaluation.lbr import is_lbr_spec
from holdem.evaluation.match import usable_cores


def point_line(point: CurvePoint) -> str:
    """One line per point: iterations, LBR's take and the result against the final blueprint."""
    low, high = point.lbr.ci95
    text = (f"{point.iterations:>14,} it ({point.kind}): LBR wins {-point.lbr.mbb_per_hand:+.0f} mbb/hand "
            f"[{-high:+.0f}, {-low:+.0f}]")
    if point.head_to_head is not None:
        h_low, h_high = point.head_to_head.ci95
        text += (f"; vs final blueprint {point.head_to_head.mbb_per_hand:+.0f} mbb/hand "
                 f"[{h_low:+.0f}, {h_high:+.0f}]")
    return text


def plot_curve(points: Sequence[CurvePoint], path: Path, title: str) -> None:
    """LBR's take and the result against the final blueprint by iterations, with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    its = [max(p.iterations, 1) for p in points]
    lbr = [-p.lbr.mbb_per_hand for p in points]
    lbr_low = [-p.lbr.ci95[1] for p in points]
    lbr_high = [-p.lbr.ci95[0] for p in points]
    lbr_err = [[v - lo for v, lo in zip(lbr, lbr_low)], [hi - v for v, hi in zip(lbr, lbr_high)]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].errorbar(its, lbr, yerr=lbr_err, marker="o", capsize=3)
    axes[0].set_title("local best response's win rate (lower is stronger)")
    h2h = [p for p in points if p.head_to_head is not None]
    if h2h:
        values = [p.head_to_head.mbb_per_hand for p in h2h]
        err = [[v - p.head_to_head.ci95[0] for v, p in zip(values, h2h)],
               [p.head_to_head.ci95[1] - v for v, p in zip(values, h2h)]]
        axes[1].errorbar([max(p.iterations, 1) for p in h2h], values, yerr=err, marker="o", capsize=3,
                         color="tab:green")
    axes[1].axhline(0.0, color="grey", linewidth=0.8)
    axes[1].set_title("against the final blueprint")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("iterations")
        ax.set_ylabel("mbb/hand")
        ax.grid(True, alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_curve(args: argparse.Namespace) -> int:
    """The ``--curve`` mode of ``holdem eval``; bad input prints one line and returns 2."""
    lbr_spec = args.against or "lbr"
    try:
        if not is_lbr_spec(lbr_spec):
            raise ValueError(f"--curve measures against local best response: --against must be an lbr spec, "
                             f"got {lbr_spec!r}")
        if not Path(args.policy).is_dir():
            raise ValueError(f"--curve needs a run directory, {args.policy!r} is not one")
        hands = parse_count(args.hands, "--hands", 2)
        seed = parse_count(args.seed, "--seed", 0)
        workers = usable_cores() if args.workers is None else parse_count(args.workers, "--workers", 1)
        if args.png is not None:
            import matplotlib  # noqa: F401
    except ImportError:
        print("holdem eval: --png needs matplotlib (pip install -e '.[plot]')", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 2
    try:
        points = strength_curve(args.policy, lbr_spec=lbr_spec, hands=hands, head_to_head_hands=hands, seed=seed,
                                workers=workers, variance=args.variance, progress=not args.quiet,
                                on_point=lambda p: print(point_line(p), flush=True))
    except (CurveError, AgentSpecError, ValueError) as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 2
    except AgentError as exc:
        print(f"holdem eval: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nholdem eval: interrupted", file=sys.stderr)
        return 130
    report = {"run": str(args.policy), "lbr": lbr_spec, "hands_per_point": hands, "seed": seed,
              "variance_reduction": args.variance, "points": [p.to_json() for p in points]}
    if args.json is not None and not write_json(args.json, report):
        return 2
    if args.png is not None:
        plot_curve(points, args.png, f"{args.policy}: strength over training")
        print(f"wrote {args.png}")
    return 0
