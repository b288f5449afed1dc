"""A range view as a PNG through matplotlib (the ``plot`` extra): the grid, a legend, and the bucket table."""

from __future__ import annotations

import math
from pathlib import Path

from holdem.policy.action_text import describe_option
from holdem.policy.ranges import GRID_RANKS, RangeView, class_name
from holdem.view.palette import EMPTY, action_colours

MAX_TABLE_ROWS = 40


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def render_png(view: RangeView, path: str | Path, unit: str, unit_chips: int, *, dpi: int = 80) -> Path:
    """Draw the view into ``path`` and return it; PlotUnavailable without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch, Rectangle
    except ImportError:
        raise PlotUnavailable("PNG output needs matplotlib: pip install -e '.[plot]'") from None
    colours = action_colours(view.actions)
    labels = [describe_option(a, unit, unit_chips) for a in view.actions]
    has_grid = view.grid.shape[0] == GRID_RANKS
    show_table = bool(view.buckets) and (not has_grid or view.street != "preflop")
    rows = view.buckets[:MAX_TABLE_ROWS] if show_table else ()
    panels = int(has_grid) + int(show_table)
    heights = ([8.4] if has_grid else []) + ([0.35 * len(rows) + 1.2] if show_table else [])
    fig, axes = plt.subplots(panels, 1, figsize=(8.4, sum(heights) + 0.6), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    panel = iter(ax for (ax,) in axes)
    if has_grid:
        ax = next(panel)
        for row in range(GRID_RANKS):
            for col in range(GRID_RANKS):
                cell = view.grid[row, col]
                x, y = col, GRID_RANKS - 1 - row
                if view.grid_combos[row, col] == 0 or not all(math.isfinite(v) for v in cell):
                    ax.add_patch(Rectangle((x, y), 0.96, 0.96, color=EMPTY))
                else:
                    left = 0.0
                    for p, colour in zip(cell, colours):
                        ax.add_patch(Rectangle((x + left * 0.96, y), p * 0.96, 0.96, color=colour, lw=0))
                        left += p
                ax.text(x + 0.06, y + 0.72, class_name(row, col), fontsize=7, color="white", weight="bold")
        ax.set_xlim(0, GRID_RANKS)
        ax.set_ylim(0, GRID_RANKS)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(view.title + (f", board {view.board}" if view.board else ""), fontsize=10)
        ax.legend(handles=[Patch(color=c, label=f"{label}: {100 * share:.1f}%")
                           for c, label, share in zip(colours, labels, view.overall)],
                  loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(labels), 3), fontsize=8,
                  frameon=False)
    if show_table:
        ax = next(panel)
        for i, row in enumerate(rows):
            y = len(rows) - 1 - i
            left = 0.0
            for p, colour in zip(row.probabilities, colours):
                ax.add_patch(Rectangle((left, y + 0.1), p, 0.8, color=colour, lw=0))
                left += p
            ax.text(-0.02, y + 0.5, f"bucket {row.bucket} ({row.combos})", ha="right", va="center", fontsize=7)
            ax.text(1.02, y + 0.5, " ".join(row.examples), ha="left", va="center", fontsize=7)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, max(len(rows), 1))
        ax.axis("off")
        ax.set_title("strategy per card bucket (combinations), examples strongest first", fontsize=9)
        if not has_grid:
            ax.legend(handles=[Patch(color=c, label=label) for c, label in zip(colours, labels)],
                      loc="lower center", bbox_to_anchor=(0.5, 1.05), ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
