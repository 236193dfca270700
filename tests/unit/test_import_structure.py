"""The layering of webapp/, read from the source (ast, nothing imported): no import cycle between
its modules, the pure core knows nothing of the layers above it, and no service, domain or
persistence module reaches into the web pages or the API (they translate HTTP, nothing calls
them back).

Only module-level imports make a cycle: what runs when a module is imported (class bodies and
`if`/`try` blocks included, function bodies and `if TYPE_CHECKING:` blocks not). The layering rule
counts every import, wherever it sits: a function-level import is a dependency all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "webapp"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module_level: bool):
    """Import statements, skipping function bodies (and TYPE_CHECKING blocks) if module_level."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if module_level and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if module_level and isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            stack.append(child)


def _targets(name: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The webapp modules an import statement in module `name` loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    if node.level:
        package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    found = {source} if source in MODULES else set()
    found |= {f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in MODULES}
    return found


def graph(module_level: bool) -> dict[str, set[str]]:
    edges = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges[name] = set().union(*(_targets(name, node) for node in _imports(tree, module_level))) - {name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


LOWER = ("webapp.services", "webapp.domain", "webapp.persistence")


def _in(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_no_import_cycle_inside_webapp():
    assert cycles(graph(module_level=True)) == []


def test_no_cycle_below_the_web_layer_even_through_function_level_imports():
    """A function-level import must not hide a cycle between services (the app factory and the
    blueprints registering their pages are the only deferred imports that close a loop)."""
    below = {
        name: {t for t in targets if _in(t, *LOWER)}
        for name, targets in graph(module_level=False).items()
        if _in(name, *LOWER)
    }
    assert cycles(below) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_services_domain_and_persistence_never_import_pages_or_the_api():
    edges = graph(module_level=False)
    wrong = sorted(
        (name, target)
        for name, targets in edges.items()
        if _in(name, *LOWER)
        for target in targets
        if _in(target, "webapp.web", "webapp.api")
    )
    assert wrong == []


def test_the_domain_imports_no_other_layer():
    edges = graph(module_level=False)
    wrong = sorted(
        (name, target)
        for name, targets in edges.items()
        if _in(name, "webapp.domain")
        for target in targets
        if not _in(target, "webapp.domain")
    )
    assert wrong == []


def test_the_graph_sees_relative_and_absolute_imports():
    """A guard on the parser itself: known edges of the tree are found."""
    edges = graph(module_level=True)
    assert "webapp.persistence.models" in edges["webapp.services.lifecycle.instances"]
    assert "webapp.services.security.policy" in edges["webapp.services.lifecycle.instances"]
