"""The Ray backend on a two-node cluster on one machine: a node removed mid-run loses and doubles nothing."""

from __future__ import annotations

import threading

import psutil
import pytest

from tests.ray_support import events, leduc_config

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")
pytestmark = pytest.mark.xdist_group("ray")  # one Ray at a time when the suite runs in parallel

from holdem.training import train  # noqa: E402


@pytest.fixture(scope="module")
def two_nodes():
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    worker_node = cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    cluster.wait_for_nodes()
    yield cluster, worker_node
    ray.shutdown()
    cluster.shutdown()


def _raylet_pid(node) -> int:
    return node.all_processes["raylet"][0].process.pid


class RemoveNodeOnce:
    """Once iterations are applied and a worker runs on ``node``, remove that node (from another thread: removal
    blocks while Ray stops its processes)."""

    def __init__(self, cluster, node) -> None:
        self.cluster, self.node = cluster, node
        self.raylet = _raylet_pid(node)
        self.thread: threading.Thread | None = None
        self.victim: int | None = None

    def __call__(self, fields: dict) -> None:
        if self.thread is not None or not fields.get("iterations"):
            return
        for worker in fields.get("workers") or []:
            pid = worker.get("pid")
            if pid and worker.get("state") == "ready" and psutil.Process(pid).ppid() == self.raylet:
                self.victim = pid
                self.thread = threading.Thread(target=self.cluster.remove_node, args=(self.node, False))
                self.thread.start()
                return


def test_removing_a_node_mid_run_reissues_its_batches_exactly_once(two_nodes, tmp_path):
    cluster, worker_node = two_nodes
    remover = RemoveNodeOnce(cluster, worker_node)
    runs = []
    outcome = train(leduc_config(4_000_000, batch_size=20_000), tmp_path, on_start=runs.append,
                    on_progress=remover)
    assert remover.thread is not None, "no worker was placed on the second node"
    remover.thread.join(timeout=60)
    assert outcome.error is None and outcome.restarts >= 1
    assert outcome.iterations == 4_000_000 and runs[0].applied.to_list() == [[0, 4_000_000]]
    log = events(tmp_path)
    assert any(e["event"] == "exit" and e["pid"] == remover.victim for e in log)
    assert log[-1]["event"] == "run_end" and log[-1]["error"] is None
