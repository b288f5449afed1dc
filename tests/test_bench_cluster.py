"""The cluster sizing arithmetic and the new BENCHMARKS.md areas, on synthetic figures."""

from __future__ import annotations

import json
from pathlib import Path

from bench.cluster import markdown, project
from bench.report import render

FIGURES = {
    "rows": 1000, "kernel_s_per_result": 0.1, "result_bytes_mean": 1_000_000,
    "merge_cpu_s_per_result": {"float32": 0.001, "int16": 0.002},
    "regret_bytes": {"float32": 16_000, "int16": 12_000},
    "table_bytes": {"float32": 32_000, "int16": 28_000}, "delta_buffer_bytes_max": 100, "delta_buffer_bytes": 50,
}


def test_projection_adds_up_per_result_costs_and_names_the_first_resource_out():
    small = project(FIGURES, 0.0005, 64, "int16")
    assert small["results_per_s"] == 640
    assert small["merge_thread_cores"] == 1.28 and small["supervisor_loop_cores"] == 0.32
    assert small["result_bytes_per_s_into_head"] == 640_000_000
    assert small["nodes"] == 1 and small["snapshot_bytes_per_s_out_of_head"] == 12_000
    assert small["bottleneck"] == "merge thread (1 core)"
    tiny = project(FIGURES, 0.0005, 4, "float32")
    assert tiny["bottleneck"] is None and tiny["next_bottleneck"] == "merge thread (1 core)"
    big = project({**FIGURES, "merge_cpu_s_per_result": {"int16": 1e-6, "float32": 1e-6}}, 1e-6, 1024, "int16")
    assert big["nodes"] == 16 and big["bottleneck"] == "results into the head (10 Gb/s)"


def test_sizing_table_and_report_areas_render(tmp_path: Path):
    cluster = {"machine": {"cpus": 2}, "specs": {"toy": {"0.1": {
        **FIGURES, "projections": {"int16": [project(FIGURES, 0.0005, n, "int16") for n in (64, 256)]}}}}}
    table = markdown(cluster)
    assert table.count("\n") == 3 and "| toy | 1,000 | 0.1 s | 256 |" in table
    (tmp_path / "cluster.json").write_text(json.dumps(cluster))
    (tmp_path / "ray.json").write_text(json.dumps({
        "goals": {"ray_vs_local_node_visits": 0.85, "leduc_ray_20s_exploitability": 0.01},
        "measured": {"ray_vs_local_node_visits": 0.9, "leduc_ray_20s_exploitability": 0.005},
        "met": {"ray_vs_local_node_visits": True, "leduc_ray_20s_exploitability": True},
        "results": {"hunl-local-2-r0": {"node_visits_per_s": 10.0}, "hunl-ray-2-r0": {"node_visits_per_s": 9.0}}}))
    (tmp_path / "compact.json").write_text(json.dumps({
        "goals": {"bytes_per_infoset_action": 6.0},
        "measured": {"bytes_per_infoset_action": {"toy": {"float32": 8.0, "int32": 8.0, "int16": 7.0}},
                     "bytes_per_legal_action": {"toy": {"float32": 12.0, "int32": 12.0, "int16": 10.5}}},
        "met": {"bytes_per_infoset_action": {"toy": False}}}))
    text = render(tmp_path)
    assert "## Ray backend against the local one" in text and "| 0.9 |" in text
    assert "toy: bytes per infoset-action (table entry), int16 regrets (reference: float32) | 7 | 8 | <= 6 | **no**" \
        in text
    assert "toy, results of 0.1 s, 64 workers (int16)" in text
