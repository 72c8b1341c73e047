"""The test session drops its test database even when a thread of some test still holds a
connection to it (tests/conftest.py `django_db_setup`). Before, pytest-django warned "database
... is being accessed by other users" and left the database behind, in every fresh-clone run."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_a_connection_left_open_by_a_test_thread_does_not_keep_the_test_database_alive():
    name = f"test_teardown_{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    admin = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    env = dict(os.environ, TEST_DATABASE_NAME=name, CACHE_KEY_PREFIX=name, CHANNEL_PREFIX=name)
    env.pop("PYTEST_XDIST_WORKER", None)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-n", "0",
             "tests/probes/held_connection.py"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "1 passed" in result.stdout, result.stdout[-3000:]
        assert "Error when trying to teardown test databases" not in result.stdout, result.stdout[-3000:]
        with psycopg.connect(admin, autocommit=True) as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
