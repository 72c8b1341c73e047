"""Run by tests/test_session_teardown.py in a pytest of its own (the file name keeps it out of the
suite's collection): a test whose thread keeps its own connection to the test database after the
test ends, as asgiref's executor threads and servers run in threads do."""
import threading

import pytest
from django.db import connection


@pytest.mark.django_db(transaction=True)
def test_a_thread_keeps_its_connection():
    """The thread is still connected when the session ends."""
    ready = threading.Event()

    def hold():
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        ready.set()
        threading.Event().wait(600)

    threading.Thread(target=hold, daemon=True).start()
    assert ready.wait(30)
