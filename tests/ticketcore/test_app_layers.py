"""The project's apps import each other in one direction (issue 15): the order of
INSTALLED_APPS is the layering, lowest first; `core` (shared code) sits below every app and
imports none; `ticketcore` (the project) is last and imported by none. Imports between apps are
module-level only, so the graph below is the whole truth."""
from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent


def _layers() -> list[str]:
    apps = [a for a in settings.INSTALLED_APPS if "." not in a and (ROOT / a / "apps.py").exists()]
    return ["core", *apps]


def _imports(app: str):
    """(module file, line, imported top-level package, inside a function?) for every import."""
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        nested = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                nested |= {id(sub) for sub in ast.walk(node) if sub is not node}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                yield path.relative_to(ROOT), node.lineno, name.split(".")[0], id(node) in nested


def test_every_app_is_in_the_layer_list():
    layers = _layers()
    on_disk = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert on_disk <= set(layers), f"apps missing from INSTALLED_APPS layering: {on_disk - set(layers)}"
    assert layers[-1] == "ticketcore" and layers[0] == "core"


def test_apps_import_only_lower_layers_and_only_at_module_level():
    layers = _layers()
    rank = {app: i for i, app in enumerate(layers)}
    upward, nested = [], []
    for app in layers:
        for path, line, target, in_function in _imports(app):
            if target not in rank or target == app:
                continue
            if rank[target] > rank[app]:
                upward.append(f"{path}:{line} {app} -> {target}")
            if in_function:
                nested.append(f"{path}:{line} {app} -> {target}")
    assert not upward, "imports against the layering (INSTALLED_APPS order):\n" + "\n".join(upward)
    assert not nested, "function-level imports between apps hide a dependency:\n" + "\n".join(nested)


def test_the_walker_sees_imports():
    """The walker is not silently blind: it finds a known module-level import (access -> events)."""
    found = {(str(p), t) for p, _, t, inner in _imports("access") if not inner}
    assert ("access/services.py", "events") in found
