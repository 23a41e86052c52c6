"""The package's import graph (grimp): no import circle, and each floor imports only the floors below.

Floors, lowest first: vocabulary (``states``, ``schema``, ``recording``, ``seeding``,
``safe_io``); the engine (``simulator.agents``: arrays, compiled rules, the one-family view,
and :class:`simulator.agents.protocols.ModelView`, what the levers and the results read of a
model); the levers (``simulator.policies``) and the results (``simulator.results``), typed
against ``ModelView``; the model (``simulator.model``), which imports them; ``finance``; the app
and the commands. Type-checking and in-function imports count: grimp sees them, and a circle
held apart only by them is still a circle.
"""

from __future__ import annotations

import grimp
import pytest

PACKAGE = "simulator"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None)


@pytest.fixture(scope="module")
def graph_with_libraries() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=True, cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_circle():
    g = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c", "p.d"):
        g.add_module(m)
    g.add_import(importer="p.a", imported="p.b")
    g.add_import(importer="p.b", imported="p.c")
    g.add_import(importer="p.c", imported="p.a")
    g.add_import(importer="p.d", imported="p.a")
    assert _cycles(g) == [["p.a", "p.b", "p.c"]]


def test_no_import_circle(graph):
    cycles = _cycles(graph)
    assert not cycles, "import circles (each a strongly connected component):\n" + "\n".join(
        f"  {len(c)} modules: {', '.join(c)}" for c in cycles
    )


def test_floors_import_only_downward(graph):
    """Highest floor first; modules in one floor of several may not import each other if independent."""
    floors = [
        "simulator.app",
        "simulator.finance",
        "simulator.model",
        grimp.Layer("simulator.policies", "simulator.results", independent=True),
        "simulator.agents",
        grimp.Layer(
            "simulator.schema",
            "simulator.states",
            "simulator.recording",
            "simulator.seeding",
            "simulator.safe_io",
            independent=False,
        ),
    ]
    illegal = graph.find_illegal_dependencies_for_layers(layers=floors)
    lines = []
    for dep in sorted(illegal, key=lambda d: (d.importer, d.imported)):
        for route in sorted(dep.routes):
            chain = [" | ".join(sorted(route.heads)), *route.middle, " | ".join(sorted(route.tails))]
            lines.append(f"  {dep.importer} imports {dep.imported}: {' -> '.join(chain)}")
    assert not illegal, "imports up the floors:\n" + "\n".join(lines)


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("simulator.schema", "simulator.model"),
        ("simulator.states", "simulator.schema"),
        ("simulator.agents", "simulator.model"),
        ("simulator.agents", "simulator.results"),
        ("simulator.agents", "simulator.policies"),
        ("simulator.agents", "simulator.finance"),
        ("simulator.agents", "simulator.app"),
        ("simulator.policies", "simulator.model"),
        ("simulator.results", "simulator.model"),
        ("simulator.results", "simulator.finance"),
        ("simulator.model", "simulator.finance"),
        ("simulator.model", "simulator.app"),
        ("simulator.finance", "simulator.app"),
        ("simulator.finance", "simulator.commands"),
    ],
)
def test_floor_imports_nothing_above(graph, importer, forbidden):
    """Neither directly nor through other modules (type-checking and in-function imports count)."""
    chain = graph.find_shortest_chain(importer=importer, imported=forbidden, as_packages=True)
    assert chain is None, f"{importer} reaches {forbidden}: {' -> '.join(chain)}"


def test_only_the_app_imports_the_ui_libraries(graph_with_libraries):
    g = graph_with_libraries
    app = {"simulator.app", *g.find_descendants("simulator.app")}
    for library in ("solara", "reacton", "ipyvuetify", "ipyvue"):
        if library not in g.modules:
            continue
        outside = sorted(g.find_modules_that_directly_import(library) - app)
        assert not outside, f"{library} imported outside simulator.app by {', '.join(outside)}"


def test_the_model_is_a_model_view():
    """:class:`ModelView` lists what the levers and results read; the model must have all of it.

    mypy cannot check this (the model's base class, ``mesa.Model``, is untyped), so it is checked
    here on a small model.
    """
    from simulator.agents.protocols import ModelView
    from simulator.agents.services import Host
    from simulator.model import CSCModel
    from tests.conftest import scenario

    model = CSCModel(scenario(children=2_000, years=1), seed=1)
    members = {name for proto in (Host, ModelView) for name in vars(proto) if not name.startswith("_")}
    assert {"scenario", "key", "services", "families", "month", "monthly_table"} <= members
    missing = sorted(name for name in members if not hasattr(model, name))
    assert not missing, f"CSCModel lacks ModelView members: {missing}"
