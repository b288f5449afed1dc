"""A range view as one self-contained HTML file: the 13x13 grid, a legend, and the per-bucket table.

Each grid cell is split left to right into one coloured band per action, as wide as its probability. The grid
sits at a fixed place (``GRID_LEFT_PX``, ``GRID_TOP_PX``, cells ``CELL_W_PX`` x ``CELL_H_PX`` apart by
``GAP_PX``) so a screenshot can be checked pixel by pixel; labels stay in the top ``LABEL_H_PX`` of a cell.
No script, no external resource.
"""

from __future__ import annotations

import html
import math

from holdem.policy.action_text import describe_option
from holdem.policy.ranges import GRID_RANKS, RangeView, class_name
from holdem.view.palette import EMPTY, action_colours

GRID_LEFT_PX = 16
GRID_TOP_PX = 16
CELL_W_PX = 54
CELL_H_PX = 44
GAP_PX = 2
LABEL_H_PX = 16


def cell_box(row: int, col: int) -> tuple[int, int, int, int]:
    """Pixel box ``(left, top, right, bottom)`` of a grid cell in the rendered page (exclusive right/bottom)."""
    left = GRID_LEFT_PX + col * (CELL_W_PX + GAP_PX)
    top = GRID_TOP_PX + row * (CELL_H_PX + GAP_PX)
    return left, top, left + CELL_W_PX, top + CELL_H_PX


def band_widths(probabilities: list[float], width: int = CELL_W_PX) -> list[int]:
    """Whole-pixel band widths summing to ``width`` (largest remainders), so bands tile a cell exactly."""
    raw = [max(0.0, p) * width for p in probabilities]
    total = sum(raw) or 1.0
    raw = [x * width / total for x in raw]
    widths = [math.floor(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - widths[i], reverse=True)[: width - sum(widths)]:
        widths[i] += 1
    return widths


def _bands(probabilities: list[float], colours: list[str], width: int) -> str:
    return "".join(f'<i style="width:{w}px;background:{c}"></i>'
                   for w, c in zip(band_widths(probabilities, width), colours) if w)


def render_html(view: RangeView, unit: str, unit_chips: int) -> str:
    """The whole page for a range view."""
    colours = action_colours(view.actions)
    labels = [describe_option(a, unit, unit_chips) for a in view.actions]
    has_grid = view.grid.shape[0] == GRID_RANKS
    grid_w = GRID_RANKS * (CELL_W_PX + GAP_PX) if has_grid else 0
    grid_h = GRID_RANKS * (CELL_H_PX + GAP_PX) if has_grid else 0
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(view.title)}</title>",
        "<style>",
        "body{margin:0;font-family:DejaVu Sans,Arial,sans-serif;font-size:13px;color:#222;background:#fff}",
        f"#grid{{position:absolute;left:{GRID_LEFT_PX}px;top:{GRID_TOP_PX}px;width:{grid_w}px;height:{grid_h}px}}",
        f".cell{{position:absolute;width:{CELL_W_PX}px;height:{CELL_H_PX}px;display:flex;background:{EMPTY}}}",
        ".cell i{display:block;height:100%}",
        f".cell b{{position:absolute;left:3px;top:1px;height:{LABEL_H_PX - 2}px;font-size:11px;line-height:"
        f"{LABEL_H_PX - 2}px;color:#fff;text-shadow:0 0 2px #000,0 0 2px #000}}",
        f"#side{{position:absolute;left:{GRID_LEFT_PX + grid_w + 24}px;top:{GRID_TOP_PX}px;width:360px}}",
        f"#table{{position:absolute;left:{GRID_LEFT_PX}px;top:{GRID_TOP_PX + grid_h + (24 if has_grid else 0)}px}}",
        ".swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle}",
        "table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left;border-bottom:1px solid #eee}",
        ".bar{display:flex;width:240px;height:14px}.bar i{display:block;height:100%}",
        "</style></head><body>",
    ]
    if has_grid:
        parts.append('<div id="grid">')
        for row in range(GRID_RANKS):
            for col in range(GRID_RANKS):
                left, top, _, _ = cell_box(row, col)
                name = class_name(row, col)
                cell = view.grid[row, col]
                style = f"left:{left - GRID_LEFT_PX}px;top:{top - GRID_TOP_PX}px"
                if view.grid_combos[row, col] == 0 or not all(math.isfinite(x) for x in cell):
                    parts.append(f'<div class="cell" style="{style}" title="{name}: not possible on this board">'
                                 f"<b>{name}</b></div>")
                    continue
                tip = ", ".join(f"{label} {100 * p:.1f}%" for label, p in zip(labels, cell))
                parts.append(f'<div class="cell" style="{style}" title="{name}: {html.escape(tip)}">'
                             f"{_bands(list(cell), colours, CELL_W_PX)}<b>{name}</b></div>")
        parts.append("</div>")
    parts.append('<div id="side">')
    parts.append(f"<h3 style=\"margin:0 0 8px 0\">{html.escape(view.title)}</h3>")
    if view.board:
        parts.append(f"<p>board {html.escape(view.board)}</p>")
    parts.append("<p>share of all hands</p>")
    for label, colour, share in zip(labels, colours, view.overall):
        parts.append(f'<div><span class="swatch" style="background:{colour}"></span>{html.escape(label)}: '
                     f"{100 * share:.1f}%</div>")
    if has_grid:
        parts.append("<p>pairs on the diagonal, suited hands above it, offsuit below; each cell is split by "
                     "action probability, averaged over the combinations the board allows.</p>")
    parts.append("</div>")
    if view.buckets and (not has_grid or view.street != "preflop"):
        parts.append('<div id="table"><table><tr><th>bucket</th><th>hands</th><th>strategy</th>'
                     + "".join(f"<th>{html.escape(label)}</th>" for label in labels)
                     + "<th>examples (strongest first)</th></tr>")
        for row in view.buckets:
            cells = "".join(f"<td>{100 * p:.1f}%</td>" for p in row.probabilities)
            parts.append(f"<tr><td>{row.bucket}</td><td>{row.combos}</td>"
                         f'<td><div class="bar">{_bands(list(row.probabilities), colours, 240)}</div></td>'
                         f"{cells}<td>{html.escape(' '.join(row.examples))}</td></tr>")
        parts.append("</table></div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
