"""The package's shape: the linter, no import circles, lazy imports that say why, one registry per kind."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_compare import config, registry, sections

ROOT = config.PROJECT_ROOT
PACKAGE = ROOT / "mnist_compare"


def ruff() -> list[str]:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if not found:
        pytest.skip("ruff is not installed (requirements-dev.txt)")
    return [found]


def test_the_code_is_clean_under_the_linter_and_formatted():
    check = subprocess.run(ruff() + ["check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    form = subprocess.run(
        ruff() + ["format", "--check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert form.returncode == 0, form.stdout[-3000:]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports, anywhere in it (inside functions too)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c in modules and c != name)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_circles_are_found_when_there_are_some():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_the_package_imports_itself_back_through_others():
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: imported_modules(path, set(paths)) for name, path in paths.items()}
    assert circles(graph) == []


def test_an_import_inside_a_function_says_why_it_is_lazy():
    """Package imports belong at the top of a module; one kept inside a function (for start-up time, or to
    keep Keras and Gradio out of a process that does not need them) says so on its line or the one above."""
    unexplained = []
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.level > 0:
                    # its own line, or a comment above the block of imports it stands in
                    block = node.lineno - 1
                    while block > 0 and lines[block - 1].strip().startswith(("from ", "import ", "#")):
                        block -= 1
                    if not any("lazy" in line for line in lines[block : node.end_lineno]):
                        unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unexplained == []


def test_nothing_private_is_imported_from_another_module():
    private = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                private += [
                    f"{path.name}: {alias.name}" for alias in node.names if alias.name.startswith("_")
                ]
    assert private == []


def test_every_section_module_is_registered_once_and_declares_what_the_runner_needs():
    files = {path.stem for path in (PACKAGE / "sections").glob("*.py")} - {"__init__", "base"}
    registered = [section.__name__.rsplit(".", 1)[1] for section in sections.SECTIONS]
    assert sorted(registered) == sorted(files), "each file in sections/ is one line of SECTIONS"
    for section in sections.SECTIONS:
        assert (
            isinstance(section.KEY, str)
            and isinstance(section.VERSION, (int, str))
            and callable(section.compute)
        )
        assert set(section.REQUIRES) <= {s.KEY for s in sections.SECTIONS}


def test_the_compared_models_are_named_only_in_the_registry():
    """No "mlp" or "cnn" literal outside the registry (models.py's builders name their own Keras models)."""
    literal = re.compile(r"""(?<![\w-])(['"])(mlp|cnn|mlp_minus_cnn)\1""")
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("registry.py", "models.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if literal.search(line.split("#")[0]) and '``"' not in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
    assert registry.COMPARED == (registry.BASELINE, registry.CANDIDATE)
    assert set(registry.grid_models()) >= set(registry.COMPARED)
    for name in registry.MODELS:
        entry = registry.entry(name)
        assert entry.name == name and entry.label and entry.table_label and entry.text_name


def test_a_registry_the_project_cannot_serve_is_refused_with_a_message():
    from dataclasses import replace

    shown_only = dict(registry.MODELS, extra=replace(registry.MODELS["mlp_wide"], name="extra", in_demo=True))
    with pytest.raises(ValueError, match="'extra' is shown in the demo .* but not trained"):
        registry.check(shown_only)
    without_pair = {name: item for name, item in registry.MODELS.items() if name != registry.CANDIDATE}
    with pytest.raises(ValueError, match="compared model"):
        registry.check(without_pair)
    registry.check()


def test_an_unknown_model_is_named_in_a_clear_message():
    with pytest.raises(ValueError, match="Unknown model 'resnet'; choose one of"):
        registry.entry("resnet")
