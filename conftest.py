"""Collected static files for every test (docs/adr/0021-static-files-with-whitenoise.md).

With DEBUG=false (pytest-django's default, and every server process the tests start) static
URLs come from the manifest that `collectstatic` writes: a page rendered without it raises
"Missing staticfiles manifest entry". The session uses a collected tree for this process
(override_settings, which also resets the storage) and for the servers it starts (they inherit
STATIC_ROOT from the environment).

A full collect takes 10-30 s (brotli at its best quality over a 1 MB wasm, twice: plain and
hashed names), too much for every `pytest tests/x.py`. The tree is kept in .data/test-static/
under a hash of every source file's bytes and of the storage code, so it is collected again
exactly when something that would change it changes, and is written under a temporary name and
renamed, so a run never sees a half-written tree."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parent / ".data" / "test-static"


def _sources_digest() -> str:
    from importlib.metadata import version

    from django.contrib.staticfiles.finders import get_finders

    from ticketcore import staticfiles

    digest = hashlib.sha256(f"{version('django')}/{version('whitenoise')}".encode())
    digest.update(Path(staticfiles.__file__).read_bytes())
    files = {}
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            files.setdefault(path, storage.path(path))  # the first finder wins, as in collectstatic
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + Path(files[path]).read_bytes())
    return digest.hexdigest()[:16]


def _collected_tree() -> Path:
    from django.core.management import call_command
    from django.test import override_settings

    root = CACHE / _sources_digest()
    if (root / "staticfiles.json").exists():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / f"{root.name}.partial-{os.getpid()}"
    with override_settings(STATIC_ROOT=str(partial)):
        call_command("collectstatic", interactive=False, verbosity=0)
    try:
        partial.rename(root)
    except OSError:  # another run got there first with the same files
        shutil.rmtree(partial, ignore_errors=True)
    for stale in CACHE.iterdir():
        if stale != root and ".partial-" not in stale.name:
            shutil.rmtree(stale, ignore_errors=True)
    return root


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    from django.test import override_settings

    root = str(_collected_tree())
    previous = os.environ.get("STATIC_ROOT")
    os.environ["STATIC_ROOT"] = root
    try:
        with override_settings(STATIC_ROOT=root):
            yield root
    finally:
        if previous is None:
            os.environ.pop("STATIC_ROOT", None)
        else:
            os.environ["STATIC_ROOT"] = previous
