"""The layout stays the architecture: no import circles in ``simulator/``, ``reference_csms/`` or
``fixtures/``, and no module imports a layer above its own. The graph is read with ``ast``, imports
under ``if TYPE_CHECKING:`` and inside functions included: an annotation that needs a higher layer is
a dependency on it all the same."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "reference_csms", "fixtures")

#: the layers, lowest first; a module may import its own layer and those before it. The order is the
#: one ``simulator/__init__.py`` and CONTRIBUTING.md's map describe.
LAYERS = (
    ("simulator.cli",),
    ("simulator.formats",),
    ("simulator.settings",),
    ("simulator.verdicts",),
    ("simulator.wire",),
    ("simulator.pki",),
    ("fixtures",),
    ("simulator.provisioning",),
    ("simulator.services",),
    ("simulator.operators",),
    ("reference_csms",),
    ("simulator.station",),
    ("simulator.probes",),
    ("simulator.reporting",),
    ("simulator.bench", "simulator.load", "simulator"),
)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports anywhere in its text."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
            # "from package import module" depends on the module (and the package's __init__ only
            # when it names something that is not a module)
            candidates = [n if n in known else base for n in names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def layer(name: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{name} belongs to no layer: add its package to LAYERS")


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    assert circles(graph()) == []


def test_no_layer_imports_a_higher_one() -> None:
    upward = sorted(f"{a} imports {b}" for a, targets in graph().items() for b in targets
                    if layer(b) > layer(a))
    assert upward == []


def test_the_station_core_imports_no_behaviour() -> None:
    """The station's connection and message loop know their replies only through the registry."""
    core = ("simulator.station.station", "simulator.station.model", "simulator.station.device_model",
            "simulator.station.counters")
    edges = graph()
    behaviour = sorted(f"{a} imports {b}" for a in core for b in edges[a]
                       if b.startswith("simulator.station.") and b not in core)
    assert behaviour == []


def test_the_checker_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
