"""No import cycles between pyminidl's Python modules, counting imports inside functions too (issue 14: models
and saving used to import each other from inside functions). Read from the source with ast, nothing imported.

An edge A -> B is `import B` or `from B import name` in A; `from P import X` goes to the module P.X when X is
a module, else to P (its __init__). Parent packages running first is Python's doing, not an edge."""

import ast
import pathlib

import pyminidl

ROOT = pathlib.Path(pyminidl.__file__).parent


def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).parts)
    parts[-1] = parts[-1].split(".")[0]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph():
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    # compiled modules (pyminidl._core) import nothing of ours: leaves, known by their stub or binary
    leaves = {_module_name(p.parent / p.name.split(".")[0]) for ext in ("*.pyi", "*.so", "*.pyd")
              for p in ROOT.rglob(ext)}
    edges = {name: set() for name in leaves}
    known = set(modules) | leaves
    for name, path in modules.items():
        out = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in known:
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    out.add(sub if sub in known else node.module)
        out.discard(name)
        edges[name] = out
    return edges


def _cycle(edges):
    """One cycle as a list of modules, or None (depth-first search with colours)."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = "done"
        return None

    for m in sorted(edges):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_no_import_cycles():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checker_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    edges = _graph()
    assert "pyminidl.models.model" in edges["pyminidl.models.functional"]  # edges are found at all
    assert "pyminidl.saving" not in edges["pyminidl.layers.base"]
