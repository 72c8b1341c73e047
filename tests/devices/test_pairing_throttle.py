"""POST /api/v1/devices/pair is limited by FAILED attempts per client address, and the address
is taken from X-Forwarded-For only when the peer is a trusted proxy (docs/adr/0018)."""
import itertools
import random
import time

import pytest
from rest_framework.test import APIClient

from events.services import create_checkpoint
from core.client_ip import client_ip, rate_limit_key
from devices.services import create_device
from tests.conftest import make_event
from tests.events.test_api import assert_error

pytestmark = pytest.mark.django_db

# Fresh addresses per test run: the counters live in Redis for a minute.
_rng = random.Random()
_octets = itertools.count(_rng.randrange(0, 200))


def fresh_ip() -> str:
    n = next(_octets)
    return f"198.{18 + n // 250 % 2}.{n % 250}.{_rng.randrange(1, 254)}"


def codes(n: int) -> list[str]:
    event = make_event()
    cp = create_checkpoint(event_id=event.event_id, name="Main gate")
    return [create_device(event_id=event.event_id, name=f"Phone {i}", checkpoint_id=cp.checkpoint_id).pairing_code
            for i in range(n)]


def pair(code: str, *, ip: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post("/api/v1/devices/pair", {"pairing_code": code}, format="json", **extra)


def within_one_window(scenario):
    """Run `scenario` inside one one-minute counting window: if the minute turned while it ran
    (the counters reset then), run it once more; it takes well under a minute. Scenarios take
    fresh addresses and codes each run."""
    for _ in range(2):
        window = int(time.time() // 60)
        result = scenario()
        if int(time.time() // 60) == window:
            return result
    raise AssertionError("two minute boundaries in two runs")


def test_a_venue_pairs_100_phones_from_one_address_in_a_minute_with_some_typos():
    def scenario():
        venue, pairing_codes, statuses = fresh_ip(), codes(100), []
        for i, code in enumerate(pairing_codes):
            if i % 10 == 0:  # a mistyped code every tenth phone: 10 failures, well under the limit
                assert_error(pair("WRONG" + code[5:], ip=venue), 400, "pairing_invalid")
            statuses.append(pair(code, ip=venue).status_code)
        return statuses

    statuses = within_one_window(scenario)
    assert statuses == [201] * 100


def test_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_reset_the_count(settings):
    settings.TICKETCORE_THROTTLE_RATES = {**settings.TICKETCORE_THROTTLE_RATES, "pair": 5}
    def scenario():
        attacker = fresh_ip()
        return [pair("ZZZZZZZZZZ", ip=attacker, forwarded=f"203.0.113.{i}").status_code for i in range(8)]

    assert within_one_window(scenario) == [400] * 5 + [429] * 3


def test_a_good_code_from_an_address_over_its_limit_is_refused_too(settings):
    """Otherwise a brute force would only have to keep going until it hits: while an address is
    over its failure limit nothing it sends is checked."""
    settings.TICKETCORE_THROTTLE_RATES = {**settings.TICKETCORE_THROTTLE_RATES, "pair": 3}
    [good] = codes(1)

    def scenario():
        ip = fresh_ip()
        return [pair("ZZZZZZZZZZ", ip=ip).status_code for _ in range(3)], pair(good, ip=ip)

    failures, refused = within_one_window(scenario)
    assert failures == [400, 400, 400]
    assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) <= 60
    assert pair(good, ip=fresh_ip()).status_code == 201  # the code itself was never spent


def test_junk_from_an_attacker_does_not_lock_out_a_phone_elsewhere(settings):
    """The attacker even names the phone's address in X-Forwarded-For: not believed."""
    settings.TICKETCORE_THROTTLE_RATES = {**settings.TICKETCORE_THROTTLE_RATES, "pair": 10}
    def scenario():
        attacker, phone, [code] = fresh_ip(), fresh_ip(), codes(1)
        junk = [pair(f"JUNK{i:06d}", ip=attacker, forwarded=phone).status_code for i in range(15)]
        return junk, pair(code, ip=phone).status_code

    junk, phone_status = within_one_window(scenario)
    assert junk == [400] * 10 + [429] * 5
    assert phone_status == 201


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(settings):
    settings.TICKETCORE_THROTTLE_RATES = {**settings.TICKETCORE_THROTTLE_RATES, "pair": 3}
    settings.TRUSTED_PROXIES = ["10.20.0.0/16", "127.0.0.1"]
    proxy = "10.20.0.7"

    def scenario():
        client_a, client_b, [code] = fresh_ip(), fresh_ip(), codes(1)
        # Client A prepends a forged address of its own; HAProxy appends the real one.
        a = [pair("ZZZZZZZZZZ", ip=proxy, forwarded=f"{fresh_ip()}, {client_a}").status_code for _ in range(5)]
        # B reaches us through the local proxy and then HAProxy: two trusted hops.
        b = pair(code, ip="127.0.0.1", forwarded=f"{client_b}, {proxy}").status_code
        return a, b

    a, b = within_one_window(scenario)
    assert a == [400, 400, 400, 429, 429]  # A is counted as A, whatever it wrote itself
    assert b == 201  # and the proxy's other clients are not locked out with A


@pytest.mark.parametrize("meta, trusted, expected", [
    ({"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, [], "198.51.100.1"),
    ({"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, ["10.0.0.0/8"], "198.51.100.1"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 5.6.7.8"}, ["10.0.0.0/8"], "5.6.7.8"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "5.6.7.8, 10.0.0.3"}, ["10.0.0.0/8"], "5.6.7.8"),
    ({"REMOTE_ADDR": "10.0.0.2"}, ["10.0.0.0/8"], "10.0.0.2"),
    ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "[2001:db8::5]:443"}, ["10.0.0.0/8"], "2001:db8::5"),
    ({"REMOTE_ADDR": "::1", "HTTP_X_FORWARDED_FOR": "203.0.113.9:5100"}, ["::1"], "203.0.113.9"),
])
def test_client_address(settings, meta, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(meta) == expected


def test_ipv6_clients_are_counted_per_64(settings):
    settings.TRUSTED_PROXIES = []
    assert rate_limit_key({"REMOTE_ADDR": "2001:db8:1:2::1"}) == rate_limit_key({"REMOTE_ADDR": "2001:db8:1:2:ffff::9"})
    assert rate_limit_key({"REMOTE_ADDR": "2001:db8:1:2::1"}) != rate_limit_key({"REMOTE_ADDR": "2001:db8:1:3::1"})
    assert rate_limit_key({"REMOTE_ADDR": "::ffff:192.0.2.1"}) == "192.0.2.1"


@pytest.mark.django_db(transaction=True)
def test_100_phones_pair_through_granian_from_one_address(app_server, capsys):
    """The venue NAT through the production HTTP server (every request from 127.0.0.1), with
    the default limit and a typo every tenth phone. Prints the figure for docs/security.md."""
    import json
    import urllib.error
    import urllib.request

    def post(code):
        req = urllib.request.Request(f"{app_server}/api/v1/devices/pair", method="POST",
                                     data=json.dumps({"pairing_code": code}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def scenario():
        pairing_codes = codes(100)
        started, statuses, typos = time.perf_counter(), [], []
        for i, code in enumerate(pairing_codes):
            if i % 10 == 0:
                typos.append(post("WRONG" + code[5:]))
            statuses.append(post(code))
        return statuses, typos, time.perf_counter() - started

    statuses, typos, elapsed = within_one_window(scenario)
    assert statuses == [201] * 100 and typos == [400] * 10
    with capsys.disabled():
        print(f"\npairing: 100 phones + 10 typos from one address through granian in {elapsed:.2f} s, "
              f"{statuses.count(201)} paired, {statuses.count(429)} throttled")
