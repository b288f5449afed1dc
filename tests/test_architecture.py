"""The layering of docs/architecture.md, checked on the source: who may import whom, and no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS = [
    ("leaves", ("holdem.cards", "holdem.evaluator", "holdem.fileformat", "holdem.numba_cache", "holdem.prefetch",
                "holdem.showdown")),
    ("rules", ("holdem.games", "holdem.engine")),
    ("abstraction", ("holdem.abstraction",)),
    ("solver", ("holdem.mccfr",)),
    ("policy", ("holdem.policy",)),
    ("evaluation", ("holdem.evaluation",)),
    ("seat and show", ("holdem.play", "holdem.view")),
    ("glue", ("holdem.training",)),
    ("tools", ("holdem.cli", "holdem.runlog")),
]
LEAF_ALLOWED = {"holdem.showdown": {"holdem.evaluator"}}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for root in ("holdem", "orchestrator") for p in (ROOT / root).rglob("*.py")}


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Our modules ``name`` imports anywhere in its file (inside functions too)."""
    found: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _layer(module: str) -> int | None:
    for index, (_, packages) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in packages):
            return index
    return None


def test_no_module_imports_a_higher_layer_or_the_orchestrator_from_the_domain():
    known = _modules()
    wrong = []
    for name, path in known.items():
        mine = _layer(name)
        for target in _imports(name, path, known):
            if name.startswith("orchestrator") and target.startswith("holdem"):
                wrong.append(f"{name} imports {target}: the orchestrator knows nothing of poker")
            if mine is None:
                continue
            if target.startswith("orchestrator") and mine < _layer("holdem.training"):
                wrong.append(f"{name} imports {target}: the domain never imports the orchestrator")
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                wrong.append(f"{name} ({LAYERS[mine][0]}) imports {target} ({LAYERS[theirs][0]})")
            if mine == 0 and target.startswith("holdem") and target not in LEAF_ALLOWED.get(name, set()):
                wrong.append(f"leaf {name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    known = _modules()
    graph = {name: _imports(name, path, known) for name, path in known.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_every_package_says_what_it_owns():
    for init in list((ROOT / "holdem").rglob("__init__.py")) + [ROOT / "orchestrator" / "__init__.py"]:
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc) > 40, f"{init.relative_to(ROOT)} has no docstring saying what it owns"
