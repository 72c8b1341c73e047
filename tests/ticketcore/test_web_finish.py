"""The RSGI front hands answered requests back to its event loop in batches (ticketcore/web.py,
`WebApplication._finished`): a request whose wake-up is lost would hang its client for ever, so
racing threads must never lose one, and a burst must share wake-ups."""
from __future__ import annotations

import asyncio
import threading

from ticketcore.web import WebApplication


def test_racing_threads_finish_every_request_and_share_wake_ups():
    app = WebApplication(lambda environ, start_response: [b""], threads=0)
    loop = asyncio.new_event_loop()
    app.loop = loop
    wake_ups = []
    original = loop.call_soon_threadsafe

    def counting(callback, *args):
        wake_ups.append(1)
        return original(callback, *args)

    loop.call_soon_threadsafe = counting
    threads, per_thread = 8, 500

    async def main():
        futures = [[loop.create_future() for _ in range(per_thread)] for _ in range(threads)]
        start = threading.Barrier(threads)

        def finish(mine):
            start.wait()
            for fut in mine:
                app._finished(fut)

        workers = [threading.Thread(target=finish, args=(mine,)) for mine in futures]
        for w in workers:
            w.start()
        everything = [f for mine in futures for f in mine]
        await asyncio.wait_for(asyncio.gather(*everything), timeout=30)  # none lost
        for w in workers:
            w.join()
        return everything

    try:
        everything = loop.run_until_complete(main())
    finally:
        loop.close()
    assert all(f.done() for f in everything)
    assert 1 <= len(wake_ups) <= threads * per_thread
    assert app._done == [] and app._wake_pending is False


def test_a_lone_request_still_wakes_the_loop_at_once():
    app = WebApplication(lambda environ, start_response: [b""], threads=0)
    loop = asyncio.new_event_loop()
    app.loop = loop

    async def main():
        fut = loop.create_future()
        threading.Thread(target=app._finished, args=(fut,)).start()
        await asyncio.wait_for(fut, timeout=5)
        fut2 = loop.create_future()  # and the next one after it, once the first wake-up is spent
        threading.Thread(target=app._finished, args=(fut2,)).start()
        await asyncio.wait_for(fut2, timeout=5)

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_requests_answered_before_the_loop_runs_share_one_wake_up():
    app = WebApplication(lambda environ, start_response: [b""], threads=0)
    loop = asyncio.new_event_loop()
    app.loop = loop
    wake_ups = []
    original = loop.call_soon_threadsafe
    loop.call_soon_threadsafe = lambda callback, *args: (wake_ups.append(1), original(callback, *args))[1]
    try:
        futures = [loop.create_future() for _ in range(3)]
        for fut in futures:
            app._finished(fut)
        assert len(wake_ups) == 1 and not any(f.done() for f in futures)
        loop.run_until_complete(asyncio.sleep(0))
        assert all(f.done() for f in futures)
    finally:
        loop.close()
