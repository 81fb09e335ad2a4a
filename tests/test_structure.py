"""The shape of the code: which module may import which.

The import graph is read from the source with ``ast`` (nothing is imported), over every
module of ``descent_lab``. An edge is what a statement names: ``import a.b`` and
``from a import b`` (when ``a.b`` is a module) point at ``a.b``; ``from a.b import name``
points at ``a.b``; relative imports are resolved against the importing module's package.
Imports inside functions count as edges too: a cycle hidden in a function is a cycle.

Rules (DESIGN.md, "Layout"):

* no import cycle anywhere in the project;
* no import inside a function in ``descent_lab/ui/``; the one allowed kind is ``pandas``
  in the functions that build a CSV's table (named ``*_frame``), so the page does not
  load pandas until someone downloads a table;
* inside ``ui/`` every module sits in a room and the rooms point one way:
  serving <- core <- instruments <- race <- page and core <- maps <- page (serving, what
  every request passes through, imports no room; core imports only serving; instruments
  never import race or maps; maps never import race or instruments); a module imports
  another room's ``callbacks`` never (``app.py`` wires them);
* the engine (``optimizers``, ``surfaces``) and the lessons never import the web app,
  Dash or Plotly;
* nothing in ``ui/`` compares an optimizer key with a string literal (``key == "adamw"``,
  ``optimizer in ("rprop", ...)``): what differs between optimizers is asked of the spec.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from descent_lab import optimizers, surfaces

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "descent_lab"
UI = f"{PACKAGE}.ui"

# Rooms of ui/ and the rooms each may import (besides itself).
ROOMS = ("serving", "core", "instruments", "race", "maps")
MAY_IMPORT = {
    "serving": set(),
    "core": {"serving"},
    "instruments": {"serving", "core"},
    "race": {"serving", "core", "instruments"},
    "maps": {"serving", "core"},
    "page": {"serving", "core", "instruments", "race", "maps"},
}
ENGINE = (f"{PACKAGE}.optimizers", f"{PACKAGE}.surfaces", f"{PACKAGE}.lessons")
WEB = ("dash", "plotly", "flask", UI, f"{PACKAGE}.app")


# ------------------------------------------------------------------------------
# reading the graph
# ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    source: str          # the importing module
    target: str          # the imported module (resolved, absolute)
    function: str | None  # the enclosing function, None at module level
    line: int


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root``: dotted name -> file."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve_base(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(module, path)
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, modules: set[str]):
        self.module, self.path, self.modules = module, path, modules
        self.function: list[str] = []
        self.found: list[Import] = []

    def _function(self, node):
        self.function.append(node.name)
        self.generic_visit(node)
        self.function.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def _add(self, target: str, line: int):
        self.found.append(Import(self.module, target, self.function[0] if self.function else None, line))

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        base = _resolve_base(self.module, self.path, node)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            self._add(sub if sub in self.modules else base, node.lineno)


def imports(root: Path, package: str) -> list[Import]:
    """Every import statement of every module of ``package``, resolved."""
    modules = module_names(root, package)
    found = []
    for module, path in modules.items():
        collector = _Collector(module, path, set(modules))
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found += collector.found
    return found


def cycles(edges: list[Import], modules: set[str]) -> list[list[str]]:
    """The import cycles among ``modules``: each strongly connected component with more
    than one module (or a module importing itself), as a sorted list (Tarjan)."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for e in edges:
        if e.target in modules:
            graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def room(module: str) -> str | None:
    """The ui room a module belongs to (``core``, ``race``..., ``page``), or None."""
    if module == f"{UI}.page":
        return "page"
    parts = module.split(".")
    if module.startswith(UI + ".") and len(parts) > 2 and parts[2] in ROOMS:
        return parts[2]
    return None


def room_violations(edges: list[Import]) -> list[str]:
    """Imports against the rooms' direction, and imports of another room's callbacks."""
    out = []
    for e in edges:
        here, there = room(e.source), room(e.target)
        if e.source.startswith(UI) and e.target.startswith(UI) and e.target.split(".")[-1] == "callbacks" \
                and there != here:
            out.append(f"{e.source}:{e.line} imports {e.target} (only app.py wires callbacks)")
        elif here is not None and there is not None and there != here and there not in MAY_IMPORT[here]:
            out.append(f"{e.source}:{e.line} imports {e.target} ({here} must not import {there})")
        elif here is not None and e.target in (f"{UI}.server", f"{PACKAGE}.app"):
            out.append(f"{e.source}:{e.line} imports {e.target} (a room never imports the server or the app)")
    return out


def _allowed_in_function(e: Import) -> bool:
    return e.target == "pandas" and e.function is not None and e.function.endswith("_frame")


def function_imports(edges: list[Import], under: str = UI) -> set[tuple[str, str, str]]:
    """(module, function, target) of the imports inside functions under ``under``,
    without the allowed kind (pandas in a CSV table builder)."""
    return {(e.source, e.function, e.target) for e in edges
            if e.function is not None and (e.source == under or e.source.startswith(under + "."))
            and not _allowed_in_function(e)}


# ------------------------------------------------------------------------------
# optimizer keys compared with literals
# ------------------------------------------------------------------------------

OPTIMIZER_KEYS = frozenset(optimizers.REGISTRY)
# Words that are optimizer keys and also names of settings ("momentum"): a comparison
# with one of them counts only when the other side is about an optimizer or a key.
SETTING_NAMES = frozenset(
    {hp.name for spec in optimizers.REGISTRY.values() for hp in spec.hyperparams}
    | {hp.name for spec in optimizers.SCHEDULES.values() for hp in spec.params}
    | {hp.name for entry in surfaces.REGISTRY.values() for hp in entry.params}
)


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for elt in node.elts for s in _literals(elt)]
    return []


def key_comparisons(source: str) -> list[tuple[int, str]]:
    """(line, code) of every comparison (``==``, ``!=``, ``in``, ``match``) of something
    with a string literal naming an optimizer."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Match):
            operands = [node.subject] + [c.pattern.value for c in node.cases
                                         if isinstance(c.pattern, ast.MatchValue)]
        else:
            continue
        literals = [s for op in operands for s in _literals(op) if s in OPTIMIZER_KEYS]
        if not literals:
            continue
        others = " ".join(ast.unparse(op) for op in operands if not _literals(op)).lower()
        if all(s in SETTING_NAMES for s in literals) and "optimizer" not in others and "key" not in others:
            continue
        found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


# ------------------------------------------------------------------------------
# the project
# ------------------------------------------------------------------------------

MODULES = module_names(ROOT, PACKAGE)
EDGES = imports(ROOT, PACKAGE)


def test_the_graph_reads_every_module_and_resolves_relative_imports():
    assert f"{UI}.race.flow" in MODULES and f"{UI}.core" in MODULES and f"{PACKAGE}.app" in MODULES
    flow = {e.target for e in EDGES if e.source == f"{UI}.race.flow"}
    # "from ..core import engine" and "from . import events" name modules; "from ..core.state import X" its module
    assert {f"{UI}.core.engine", f"{UI}.race.events", f"{UI}.core.state"} <= flow
    assert all(not e.target.startswith(".") for e in EDGES)


def test_no_import_cycle_anywhere_in_the_project():
    found = cycles(EDGES, set(MODULES))
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_function_level_imports_in_ui():
    found = function_imports(EDGES)
    assert found == set(), "imports inside functions in ui/ (move them to the top): " + "; ".join(
        f"{m}.{f} imports {t}" for m, f, t in sorted(found))


def test_pandas_is_imported_only_where_a_table_is_built():
    lazy = sorted((e.source, e.function) for e in EDGES
                  if e.target == "pandas" and e.source.startswith(UI + "."))
    assert lazy and all(function is not None and function.endswith("_frame") for _, function in lazy), lazy


def test_rooms_import_in_one_direction_and_never_another_rooms_callbacks():
    found = room_violations(EDGES)
    assert found == [], "\n".join(found)
    # every module of ui/ but the package sits in a room (the page is a room of its own)
    for module in MODULES:
        if module.startswith(UI + "."):
            assert room(module) is not None, module


def test_the_engine_and_the_lessons_never_import_the_web_app():
    found = [f"{e.source}:{e.line} imports {e.target}" for e in EDGES
             if e.source.startswith(ENGINE) and any(e.target == w or e.target.startswith(w + ".") for w in WEB)]
    assert found == []


@cache
def _ui_modules_comparing_keys() -> dict[str, list]:
    out = {}
    for module, path in MODULES.items():
        if module.startswith(UI + "."):
            found = key_comparisons(path.read_text(encoding="utf-8"))
            if found:
                out[module] = found
    return out


def test_no_ui_module_compares_an_optimizer_key_with_a_literal():
    """The page asks an optimizer's spec (its explanation, decay mode, buffers...) instead
    of choosing by key: a new optimizer needs no code in ui/."""
    found = _ui_modules_comparing_keys()
    assert found == {}, "ask the optimizer's spec instead: " + "; ".join(
        f"{m}:{line} {code}" for m, items in found.items() for line, code in items)


# ------------------------------------------------------------------------------
# the checks themselves, on a toy package
# ------------------------------------------------------------------------------

def _toy(tmp_path: Path, files: dict[str, str]) -> tuple[dict, list[Import]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return module_names(tmp_path, "toy"), imports(tmp_path, "toy")


def test_a_cycle_through_relative_and_function_level_imports_is_found(tmp_path):
    modules, edges = _toy(tmp_path, {
        "toy/__init__.py": "",
        "toy/a/__init__.py": "",
        "toy/a/one.py": "from ..b import two\n",
        "toy/b/__init__.py": "",
        "toy/b/two.py": "def f():\n    from toy.a.one import g\n",
        "toy/c.py": "from . import d\n",
        "toy/d.py": "import os\n",
    })
    assert cycles(edges, set(modules)) == [["toy.a.one", "toy.b.two"]]
    assert [(e.source, e.function) for e in edges if e.target == "toy.a.one"] == [("toy.b.two", "f")]
    assert {e.target for e in edges if e.source == "toy.c"} == {"toy.d"}


def test_the_key_comparison_finder_sees_the_forms_people_write():
    code = (
        "if key == 'adamw': pass\n"
        "if spec.key in ('rprop', 'lion'): pass\n"
        "match optimizer:\n    case 'adam': pass\n"
        "if hp.name == 'momentum': pass\n"      # a setting's name, not an optimizer
        "if run['optimizer'] != 'momentum': pass\n"
        "if kind == 'cosine': pass\n"
    )
    lines = [line for line, _ in key_comparisons(code)]
    assert lines == [1, 2, 3, 6]


def test_the_room_rules_catch_a_wrong_direction_and_a_foreign_callbacks_import():
    edges = [
        Import(f"{UI}.core.state", f"{UI}.race.flow", None, 1),
        Import(f"{UI}.maps.tune", f"{UI}.instruments.data", None, 2),
        Import(f"{UI}.race.flow", f"{UI}.instruments.callbacks", None, 3),
        Import(f"{UI}.race.flow", f"{UI}.instruments.data", None, 4),  # allowed
        Import(f"{UI}.page", f"{UI}.maps.layout", None, 5),             # allowed
    ]
    found = room_violations(edges)
    assert [v.split(" ")[0] for v in found] == [f"{UI}.core.state:1", f"{UI}.maps.tune:2", f"{UI}.race.flow:3"]
