"""The headless core imports no Textual: each module is imported alone in a fresh interpreter
and ``sys.modules`` is checked (as harlequin's ``test_import_hygiene`` does).

The console's API facade (``sferum_tui.service.console``) is held to the same rule, so screens are the
only place Textual enters.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import sferum_tui.core

CORE_MODULES = sorted(m.name for m in pkgutil.walk_packages(sferum_tui.core.__path__, "sferum_tui.core."))
HEADLESS = ["sferum_tui.core", *CORE_MODULES, "sferum_tui.service.console", "sferum_tui.cli",
            "sferum_tui.i18n"]

CHECK = (
    "import importlib, sys; importlib.import_module({name!r}); "
    "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
    "print(','.join(bad))"
)


def _imports_of(name: str) -> tuple[str, str, int, str]:
    done = subprocess.run([sys.executable, "-c", CHECK.format(name=name)], capture_output=True,
                          text=True, timeout=120)
    return name, done.stdout.strip(), done.returncode, done.stderr.strip()[-500:]


def test_there_are_core_modules_to_check():
    assert "sferum_tui.core.store" in CORE_MODULES and "sferum_tui.core.indicators" in CORE_MODULES


def test_core_and_the_api_import_no_textual():
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_imports_of, HEADLESS))
    failures = []
    for name, textual_modules, code, err in results:
        if code != 0:
            failures.append(f"{name}: import failed: {err}")
        elif textual_modules:
            failures.append(f"{name} imports {textual_modules.split(',')[:3]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ["sferum_tui.tui.app"])
def test_the_console_module_does_import_textual(name):
    # the check above would pass vacuously if the probe were broken
    _, textual_modules, code, err = _imports_of(name)
    assert code == 0, err
    assert "textual" in textual_modules.split(",")


def _tui_import_graph() -> dict[str, set[str]]:
    """Console module → the console modules it imports, lazily too (imports inside functions,
    and module names given as strings to ``importlib``)."""
    import ast
    import re
    from pathlib import Path

    import sferum_tui.tui

    folder = Path(sferum_tui.tui.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.update(re.findall(r"^sferum_tui\.tui\.\w+$", node.value))
        graph[path.stem] = {name.split(".")[2] for name in found
                            if name.startswith("sferum_tui.tui.") and name.count(".") >= 2} - {path.stem}
    return graph


def test_console_modules_import_each_other_without_a_cycle():
    graph = _tui_import_graph()
    assert "changes" in graph["main_screen"]  # the probe sees lazy imports

    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif len(trail) < len(graph):
                walk(nxt, trail + [nxt])

    for start in graph:
        walk(start, [start])
    assert not cycles, "import cycles between console modules: " + "; ".join(
        " → ".join(c) for c in cycles[:5])
