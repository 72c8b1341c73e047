"""Collected static files for every test (docs/adr/0021-static-files-with-whitenoise.md).

With DEBUG=false (pytest-django's default, and every server process the tests start) static
URLs come from the manifest that `collectstatic` writes: a page rendered without it raises
"Missing staticfiles manifest entry". Collect once per session into a temporary STATIC_ROOT
(about a second), for this process (override_settings, which also resets the storage) and for
the servers it starts (they inherit STATIC_ROOT from the environment). A temporary directory
rather than .data/static: two runs in one checkout never rewrite each other's manifest."""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    from django.core.management import call_command
    from django.test import override_settings

    root = tempfile.mkdtemp(prefix="ticketcore-static-")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        previous = os.environ.get("STATIC_ROOT")
        os.environ["STATIC_ROOT"] = root
        try:
            yield root
        finally:
            if previous is None:
                os.environ.pop("STATIC_ROOT", None)
            else:
                os.environ["STATIC_ROOT"] = previous
            shutil.rmtree(root, ignore_errors=True)
