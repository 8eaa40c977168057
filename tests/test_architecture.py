"""The shape the code promises a newcomer: docs/ARCHITECTURE.md matches the tree, the editor core stands alone on
the standard library, no module of the product is too long to read in one sitting, and every engine and server
module has its tests beside its name."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("server", "krita_plugin", "gimp_plugin")
TESTED_BY_MODULE = ("engine", "server")  # dreamlayer/<package>/X.py is tested in tests/<package>/test_X.py
LONGEST_MODULE = 250  # lines: a room a newcomer reads in one sitting


def _layout_paths() -> list[Path]:
    """Each folder and file the layout in docs/ARCHITECTURE.md names, as paths in the tree."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    block = text.split("## Layout", 1)[1].split("```")[1]
    paths, parents = [], {}
    for line in block.splitlines():
        match = re.match(r"^( *)(\S+/|\S+\.py)(\s|$)", line)
        if not match:
            continue
        indent, name = len(match[1]), match[2]
        parent = next((parents[i] for i in sorted(parents, reverse=True) if i < indent), ROOT)
        path = parent / name.rstrip("/")
        paths.append(path)
        parents = {i: p for i, p in parents.items() if i < indent}
        if name.endswith("/"):
            parents[indent] = path
    return paths


def test_the_architecture_page_names_what_is_in_the_tree():
    paths = _layout_paths()
    assert len(paths) >= 12, paths  # the page names 14 today: fewer means the parse lost some
    missing = [str(path.relative_to(ROOT)) for path in paths if not path.exists()]
    assert not missing, f"docs/ARCHITECTURE.md names what the tree does not have: {missing}"


def test_the_editor_core_imports_nothing_but_the_standard_library_and_itself():
    """What the editors' embedded Python runs: no torch, numpy, requests or Pillow, and nothing else of dreamlayer."""
    modules = sorted((ROOT / "server" / "dreamlayer_editor").glob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert imported <= set(sys.stdlib_module_names) | {"__future__"}, (path.name, imported)


def test_both_plugins_import_the_editor_core_by_name():
    for folder in (ROOT / "krita_plugin", ROOT / "gimp_plugin"):
        text = "\n".join(path.read_text() for path in folder.rglob("*.py"))
        assert "from dreamlayer_editor." in text, folder
        assert not re.search(r"^\s*from \.?(client|launcher) import", text, re.M), folder  # no copied-in modules


def test_no_module_of_the_product_is_longer_than_a_sitting():
    long = [f"{path.relative_to(ROOT)}: {n}" for top in PRODUCT for path in (ROOT / top).rglob("*.py")
            if (n := len(path.read_text().splitlines())) > LONGEST_MODULE]
    assert not long, long


def _modules(package: str) -> list[str]:
    return sorted(path.stem for path in (ROOT / "server" / "dreamlayer" / package).glob("*.py") if path.stem != "__init__")


def _test_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def test_every_engine_and_server_module_has_its_tests_beside_its_name():
    missing, empty = [], []
    for package in TESTED_BY_MODULE:
        modules = _modules(package)
        assert len(modules) >= 15, (package, modules)  # 19 and 22 today: fewer means the path is wrong
        for module in modules:
            path = ROOT / "tests" / package / f"test_{module}.py"
            if not path.is_file():
                missing.append(str(path.relative_to(ROOT)))
            elif not _test_functions(path):
                empty.append(str(path.relative_to(ROOT)))
    assert not missing, f"modules without their test file: {missing}"
    assert not empty, f"test files without a test: {empty}"


def test_every_test_file_by_module_names_a_module_that_exists():
    """A renamed or removed module takes its test file's name with it, so no test file outlives its module."""
    orphans = [str(path.relative_to(ROOT)) for package in TESTED_BY_MODULE
               for path in sorted((ROOT / "tests" / package).glob("test_*.py"))
               if path.stem.removeprefix("test_") not in _modules(package)]
    assert not orphans, f"test files for modules that do not exist: {orphans}"
