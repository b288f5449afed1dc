"""Range grids: the numbers against per-hand queries, the HTML page as headless Chromium draws it, the PNG."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from holdem.cards import parse_cards
from holdem.cli.main import main as holdem_main
from holdem.policy import Policy, PolicyError
from holdem.policy.ranges import class_name, grid_cell, range_view
from holdem.view.html import CELL_H_PX, LABEL_H_PX, band_widths, cell_box, render_html
from holdem.view.palette import EMPTY, action_colours, hex_rgb

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--force-device-scale-factor=1", "--hide-scrollbars"]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary, installed with apt-get when missing (root with apt only; else the test skips)."""
    found = _chromium()
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=900)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], env=env,
                       capture_output=True, timeout=1800)
        found = _chromium()
    if found is None:
        pytest.skip("headless Chromium is not installed and apt-get cannot install it here (Debian package "
                    "'chromium'; `make test` installs it)")
    return found


def _screenshot(chromium: str, page: Path, out: Path, tmp_path: Path, size: str = "1200,1100") -> np.ndarray:
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                    f"--screenshot={out}", page.as_uri()], capture_output=True, timeout=180, check=True)
    import matplotlib.image

    return (matplotlib.image.imread(out)[..., :3] * 255).round().astype(int)


def _close(pixel: np.ndarray, colour: str, tolerance: int = 6) -> bool:
    return bool(np.all(np.abs(pixel - np.asarray(hex_rgb(colour))) <= tolerance))


# --- numbers -------------------------------------------------------------------------------------
def test_grid_cells_average_the_queries_of_their_combinations(hunl_policy: Policy) -> None:
    view = range_view(hunl_policy, 1, "r250c/", "Tc7d2s")
    for hand in ("AhKh", "AdKs", "TdTh", "7h2h", "9s8s"):
        hole = parse_cards(hand)
        row, col = grid_cell(tuple(hole))
        assert class_name(row, col) in ("AKs", "AKo", "TT", "72s", "98s")
        combos = [(a, b) for a in range(52) for b in range(a + 1, 52) if grid_cell((a, b)) == (row, col)
                  and not {a, b} & set(parse_cards("Tc7d2s"))]
        queried = np.mean([[o.probability for o in hunl_policy.action_probabilities(1, list(c), "Tc7d2s",
                                                                                  "r250c/").actions]
                           for c in combos], axis=0)
        assert view.grid_combos[row, col] == len(combos)
        np.testing.assert_allclose(view.grid[row, col], queried, atol=1e-6)
    assert view.grid_combos.sum() == 1176 == sum(b.combos for b in view.buckets)
    for bucket in view.buckets:
        assert len(bucket.examples) == min(4, bucket.combos)
        example = parse_cards(bucket.examples[0])
        assert hunl_policy.bucket(1, example + parse_cards("Tc7d2s")) == bucket.bucket


def test_impossible_hands_are_empty_and_unfollowable_histories_refused(hunl_policy: Policy) -> None:
    view = range_view(hunl_policy, 1, "r250c/", "AhAdAc")
    assert view.grid_combos[0, 0] == 0 and np.isnan(view.grid[0, 0]).all()
    assert view.grid_combos[0, 1] == 1 and view.grid_combos[1, 0] == 3, "AsKs; AsKh AsKd AsKc"
    with pytest.raises(PolicyError, match="cannot follow"):
        range_view(hunl_policy, 1, "r250c/r700r20000", "Tc7d2s")


def test_small_games_get_a_table_per_card(runs: dict[str, Path]) -> None:
    policy = Policy.load(runs["leduc"])
    view = range_view(policy, 0, "", "")
    assert view.grid.shape[:2] == (0, 0)
    assert [b.combos for b in view.buckets] == [2, 2, 2] and sorted(len(b.examples) for b in view.buckets) == [2] * 3
    for bucket in view.buckets:
        card = parse_cards(bucket.examples[0])
        assert bucket.probabilities == pytest.approx(
            [o.probability for o in policy.action_probabilities(0, card).actions], abs=1e-6)


# --- pictures ------------------------------------------------------------------------------------
def test_html_grid_renders_in_headless_chromium(hunl_policy: Policy, chromium: str, tmp_path: Path) -> None:
    view = range_view(hunl_policy, 0, "", "")
    page = tmp_path / "grid.html"
    page.write_text(render_html(view, hunl_policy.unit, hunl_policy.unit_chips))
    text = page.read_text()
    assert "<script" not in text and "http" not in text, "one self-contained file"
    image = _screenshot(chromium, page, tmp_path / "shot.png", tmp_path)
    colours = action_colours(view.actions)
    checked = 0
    for row in range(13):
        for col in range(13):
            left, top, _, bottom = cell_box(row, col)
            y = (top + LABEL_H_PX + bottom) // 2
            assert bottom - top == CELL_H_PX
            x = left
            for width, colour in zip(band_widths(list(view.grid[row, col])), colours):
                if width >= 5:
                    pixel = image[y, x + width // 2]
                    assert _close(pixel, colour), (class_name(row, col), colour, pixel)
                    checked += 1
                x += width
    assert checked >= 169
    white = image[cell_box(0, 0)[1] + 5, cell_box(0, 0)[2]]
    assert _close(white, "#ffffff"), "cells are separated by a white gap"


def test_html_marks_impossible_cells_grey(hunl_policy: Policy, chromium: str, tmp_path: Path) -> None:
    view = range_view(hunl_policy, 1, "r250c/", "AhAdAc")
    page = tmp_path / "flop.html"
    page.write_text(render_html(view, hunl_policy.unit, hunl_policy.unit_chips))
    image = _screenshot(chromium, page, tmp_path / "flop.png", tmp_path)
    left, top, right, bottom = cell_box(0, 0)
    assert _close(image[(top + LABEL_H_PX + bottom) // 2, (left + right) // 2], EMPTY)
    assert "examples (strongest first)" in page.read_text()


def test_png_through_the_cli_shows_each_action_in_proportion(runs: dict[str, Path], tmp_path: Path,
                                                             hunl_policy: Policy) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.image

    out = tmp_path / "grid.png"
    assert holdem_main(["policy", "grid", str(runs["hunl"]), "--seat", "0", "--out", str(out)]) == 0
    assert out.stat().st_size < 300_000
    image = (matplotlib.image.imread(out)[..., :3] * 255).round().astype(int)
    view = range_view(hunl_policy, 0, "", "")
    counts = np.array([np.all(np.abs(image - np.asarray(hex_rgb(c))) <= 2, axis=-1).sum()
                       for c in action_colours(view.actions)], dtype=float)
    np.testing.assert_allclose(counts / counts.sum(), np.nanmean(view.grid, axis=(0, 1)), atol=0.03)


def test_grid_cli_errors_are_one_line(runs: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--out", str(tmp_path / "x.svg")], ["--out", str(tmp_path / "missing" / "x.html")],
                 ["--history", "r250c/r700r20000", "--board", "Tc7d2s", "--out", str(tmp_path / "x.html")]):
        assert holdem_main(["policy", "grid", str(runs["hunl"]), *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("holdem policy grid: ") and len(err.strip().splitlines()) == 1
