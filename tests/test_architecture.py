"""The import rule of docs/architecture.md, read from the source with :mod:`ast`.

Every ``import`` in every ``.py`` file of ``theory/`` and ``numerics/`` counts,
at module level and inside functions alike: a lazy import still ties two
modules together, it only hides the tie from the top of the file. The rule:

* ``theory`` never imports ``numerics``;
* inside ``numerics`` the layers point down: ``_validate``/``_progress`` (and
  any other private top-level utility) < ``engine`` < ``models`` < ``train`` <
  ``experiments`` < ``figures`` < ``verify`` < ``cli``. ``figures`` sits above
  ``experiments`` because it draws experiment records; ``experiments`` never
  draws;
* ``numerics.testing`` (hypothesis strategies) may import only ``engine``,
  ``models`` and the utilities; ``verify`` and ``cli`` may import it;
* the package root ``numerics`` re-exports from the layers, so no layer imports
  it (that would run the wrong way), and nothing but ``cli`` imports ``cli``;
* no import circle among the modules;
* only ``numerics.figures`` and ``numerics.cli`` import matplotlib;
* imports are static: no ``importlib.import_module`` or ``__import__``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "numerics")

#: The layers of ``numerics``, bottom first. A layer may import the layers before it and itself.
LAYERS: tuple[str, ...] = ("theory", "utility", "engine", "models", "train", "experiments", "figures", "verify",
                           "cli")

#: Layers ``numerics.testing`` may import, and the layers that may import it.
TESTING_IMPORTS = frozenset({"theory", "utility", "engine", "models", "testing"})
TESTING_IMPORTERS = frozenset({"verify", "cli"})

#: Layers the package root ``numerics`` may re-export from (every layer but the command line).
ROOT_IMPORTS = frozenset(LAYERS) - {"cli"} | {"testing"}

#: The only layers that may import matplotlib.
DRAWING_LAYERS = frozenset({"figures", "cli"})


@dataclass(frozen=True)
class Import:
    """One imported name: ``importer`` (a module) imports ``target`` at ``line``."""

    importer: str
    path: str
    line: int
    target: str
    in_function: bool

    def where(self) -> str:
        return f"{self.path}:{self.line}{' (inside a function)' if self.in_function else ''}"


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of both packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ``import from`` names (relative imports resolved against ``module``)."""
    if node.level == 0:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


class _Reader(ast.NodeVisitor):
    """Collects imports and dynamic-import calls, noting whether each sits inside a function."""

    def __init__(self, module: str, path: Path) -> None:
        self.module, self.path, self.depth = module, path, 0
        self.rel = str(path.relative_to(ROOT))
        self.imports: list[Import] = []
        self.dynamic: list[str] = []

    def _add(self, node: ast.AST, target: str) -> None:
        self.imports.append(Import(self.module, self.rel, node.lineno, target, self.depth > 0))

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve(self.module, self.path, node)
        # ``from pkg import name`` imports the module ``pkg.name`` when there is one, else ``pkg`` (once).
        targets = {f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names}
        for target in sorted(targets):
            self._add(node, target)

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in ("import_module", "__import__"):
            self.dynamic.append(f"{self.rel}:{node.lineno} calls {name}")
        self.generic_visit(node)


def _read_all() -> tuple[list[Import], list[str]]:
    imports, dynamic = [], []
    for module, path in MODULES.items():
        reader = _Reader(module, path)
        reader.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        imports += reader.imports
        dynamic += reader.dynamic
    return imports, dynamic


IMPORTS, DYNAMIC = _read_all()


def _project(target: str) -> bool:
    return target.split(".")[0] in PACKAGES


def layer(module: str) -> str:
    """The layer a module of either package belongs to (``""`` if it has none)."""
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return ""
    if parts[0] == "theory":
        return "theory"
    if module == "numerics":
        return "root"
    if parts[1] == "testing":
        return "testing"
    if parts[1].startswith("_"):
        return "utility"
    return parts[1] if parts[1] in LAYERS else ""


def allowed(importer: str, target: str) -> bool:
    """Whether the layer of ``importer`` may import the layer of ``target`` (the rule above)."""
    src, dst = layer(importer), layer(target)
    if dst == "cli":
        return src == "cli"
    if dst == "root":
        return src in ("root", "cli")
    if src == "root":
        return dst in ROOT_IMPORTS
    if src == "testing":
        return dst in TESTING_IMPORTS
    if dst == "testing":
        return src in TESTING_IMPORTERS
    return LAYERS.index(dst) <= LAYERS.index(src)


def _report(problems: list[str]) -> str:
    return f"{len(problems)} import(s) break the rule of docs/architecture.md:\n  " + "\n  ".join(problems)


def test_the_reader_sees_both_packages() -> None:
    assert {"theory.layout", "numerics", "numerics.testing"} <= set(MODULES)
    assert any(i.importer == "theory.latex" and i.target == "theory.layout" for i in IMPORTS)


def test_every_numerics_module_has_a_layer() -> None:
    homeless = [m for m in MODULES if not layer(m)]
    assert not homeless, f"modules outside every layer (add them to a layer or the rule): {homeless}"


def test_theory_never_imports_numerics() -> None:
    bad = [f"{i.where()} imports {i.target}" for i in IMPORTS
           if layer(i.importer) == "theory" and i.target.split(".")[0] == "numerics"]
    assert not bad, _report(bad)


def test_numerics_layers_import_only_downwards() -> None:
    bad = [f"{i.where()}: {layer(i.importer)} imports {i.target} ({layer(i.target)})" for i in IMPORTS
           if _project(i.target) and not allowed(i.importer, i.target)]
    assert not bad, _report(bad)


def test_nothing_but_cli_imports_cli() -> None:
    bad = [f"{i.where()} imports {i.target}" for i in IMPORTS
           if layer(i.target) == "cli" and layer(i.importer) != "cli"]
    assert not bad, _report(bad)


def test_only_figures_and_cli_import_matplotlib() -> None:
    bad = [f"{i.where()}: {i.importer} imports {i.target}" for i in IMPORTS
           if i.target.split(".")[0] == "matplotlib" and layer(i.importer) not in DRAWING_LAYERS]
    assert not bad, _report(bad)


def test_imports_are_static() -> None:
    assert not DYNAMIC, "modules imported by computed name (import them by name in code):\n  " + "\n  ".join(DYNAMIC)


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(v: str) -> Iterator[list[str]]:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                yield from visit(w)
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
                yield sorted(component)

    for v in sorted(graph):
        if v not in index:
            yield from visit(v)


def test_no_import_circle() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    edges: dict[tuple[str, str], Import] = {}
    for i in IMPORTS:
        if i.target in MODULES:
            graph[i.importer].add(i.target)
            edges.setdefault((i.importer, i.target), i)
    circles = []
    for component in _cycles(graph):
        members = set(component)
        ties = [f"{e.where()}: {a} -> {b}" for (a, b), e in sorted(edges.items()) if a in members and b in members]
        circles.append(" <-> ".join(component) + "\n    " + "\n    ".join(ties))
    assert not circles, f"{len(circles)} import circle(s):\n  " + "\n  ".join(circles)


def test_layers_below_figures_run_without_matplotlib() -> None:
    # Read from the source above; this checks the same rule at run time, through third-party packages too.
    below = sorted(m for m in MODULES if layer(m) in ("theory", "utility", "engine", "models", "train",
                                                        "experiments", "testing", "root"))
    code = ("import sys\n" + "".join(f"import {m}\n" for m in below)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')[:1])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", "importing the layers below figures imports matplotlib"


@pytest.mark.parametrize(("importer", "target", "ok"), [
    ("numerics.models.networks", "numerics.engine.layer", True),
    ("numerics.engine.layer", "numerics.models.networks", False),
    ("numerics.figures.lecture", "numerics.experiments.runner", True),
    ("numerics.experiments.runner", "numerics.figures.lecture", False),
    ("numerics.testing", "numerics.train.loop", False),
    ("numerics.verify.registry", "numerics.testing", True),
    ("numerics.train.loop", "numerics.testing", False),
    ("numerics.verify.registry", "numerics.cli.main", False),
    ("numerics.models.networks", "numerics", False),
    ("numerics", "numerics.models", True),
    ("theory.layout", "numerics.engine.layer", False),
    ("numerics._validate", "theory._checks", True),
])
def test_the_rule_itself(importer: str, target: str, ok: bool) -> None:
    assert allowed(importer, target) is ok


# ---------------------------------------------------------------- the public face of each module

#: Public modules that may still lack ``__all__``, with the reason. ``numerics.experiments`` is being rewritten
#: on another branch (the part-of-speech experiments); its modules gain ``__all__`` there.
ALL_PENDING: dict[str, str] = {
    "numerics.experiments": "package being rewritten on the experiments branch",
    "numerics.experiments.runner": "module being rewritten on the experiments branch",
}


def _public(module: str) -> bool:
    """A module is public unless a part of its dotted name starts with ``_``."""
    return not any(part.startswith("_") for part in module.split("."))


def _bound_names(tree: ast.Module) -> tuple[set[str], list[str] | None]:
    """The names a module binds at top level (also inside top-level ``if``/``try``), and its ``__all__`` or None."""
    bound: set[str] = set()
    exported: list[str] | None = None
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, (ast.If, ast.Try)):
            body += node.body + node.orelse + getattr(node, "finalbody", []) + [
                s for h in getattr(node, "handlers", []) for s in h.body]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = list(node.targets if isinstance(node, ast.Assign) else [node.target])
            while targets:
                t = targets.pop()
                if isinstance(t, (ast.Tuple, ast.List)):
                    targets += t.elts
                elif isinstance(t, ast.Name):
                    bound.add(t.id)
                    if t.id == "__all__" and node.value is not None:
                        exported = [e.value for e in getattr(node.value, "elts", [])
                                    if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return bound, exported


def _exports() -> dict[str, tuple[set[str], list[str] | None]]:
    return {m: _bound_names(ast.parse(p.read_text(encoding="utf-8"))) for m, p in MODULES.items() if _public(m)}


EXPORTS = _exports()


def test_every_public_module_defines_all() -> None:
    # numerics/verify included: the claims, the oracle, the registry and the runner are public modules too.
    missing = [m for m, (_, exported) in EXPORTS.items() if exported is None and m not in ALL_PENDING]
    assert not missing, "public modules without __all__:\n  " + "\n  ".join(
        f"{m} ({MODULES[m].relative_to(ROOT)})" for m in missing)
    assert any(m.startswith("numerics.verify.claims.") for m in EXPORTS), "the check must reach numerics/verify"


def test_every_name_in_all_is_bound_by_its_module() -> None:
    stale = [f"{m}: {n}" for m, (bound, exported) in EXPORTS.items() for n in exported or []
             if n not in bound and f"{m}.{n}" not in MODULES]
    assert not stale, "names in __all__ the module does not bind:\n  " + "\n  ".join(stale)


def test_the_all_readers_see_what_a_module_defines() -> None:
    bound, exported = _bound_names(ast.parse("import a.b\nfrom c import d as e\nif x:\n    def f(): pass\n"
                                             "try:\n    G = 1\nexcept ImportError:\n    H: int = 2\n"
                                             "P, (Q, R) = 0, (1, 2)\n__all__ = ['f', 'G']\n"))
    assert bound == {"a", "e", "f", "G", "H", "P", "Q", "R", "__all__"} and exported == ["f", "G"]
    assert _bound_names(ast.parse("def f(): pass\n")) == ({"f"}, None)
    assert not _public("numerics.engine._workspace") and _public("numerics.verify.claims.cells")


# ---------------------------------------------------------------- files that fit

#: The longest a Python file may be (the layout of docs/architecture.md): split a longer one by topic.
MAX_LINES = 700
#: The directories whose Python files the limit covers: the packages, the tests, benchmarks, docs and notebooks.
LINE_LIMITED = ("theory", "numerics", "tests", "benchmarks", "docs", "notebooks")


def test_every_python_file_fits_the_line_limit() -> None:
    files = [p for d in LINE_LIMITED if (ROOT / d).is_dir() for p in sorted((ROOT / d).rglob("*.py"))]
    assert any(p.parts[-2:] == ("fuzz", "test_fuzz_api.py") for p in files), "the check must reach tests/"
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"files over {MAX_LINES} lines:\n  " + "\n  ".join(long)
