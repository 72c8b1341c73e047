"""What the steward reads for each answer (static/scanner/words.js, venue.js, kinds.js), in
headless Chromium against a manifest shaped like access/manifest.py's: the gates that admit a zone,
the doors' times in the event's time zone with its offset, re-entry, and the codes the phone
answers itself. The full flows are in test_answers.py; these are the sentences, case by case."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.scanner.video import blank_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUN = """
const [meta, calls, done] = arguments;
Promise.all(['state', 'offline', 'words', 'kinds'].map((m) => import(`/static/scanner/${m}.js`)))
  .then(([state, offline, words, kinds]) => {
    state.setManifest(meta ? new offline.Manifest(meta) : null);
    done(calls.map(([fn, args]) => {
      if (fn === 'reasonText') return words.reasonText(...args);
      if (fn === 'noWayBack') return words.noWayBack(...args);
      if (fn === 'codeKind') return kinds.codeKind(...args);
      return `unknown ${fn}`;
    }));
  }).catch((e) => done({error: String(e)}));
"""

GATES = [
    {"checkpoint_id": "cpNorth", "name": "North", "zones": ["A"], "directions": "both"},
    {"checkpoint_id": "cpEast", "name": "East", "zones": ["B"], "directions": "both"},
    {"checkpoint_id": "cpWest", "name": "West", "zones": [], "directions": "in"},
    {"checkpoint_id": "cpLane", "name": "Exit lane", "zones": ["B"], "directions": "out"},
]
ZONES = [{"zone_id": "A", "name": "Ringside", "color": "#C0392B", "reentry": False, "seats": 5},
         {"zone_id": "B", "name": "General", "color": "#27AE60", "reentry": True, "seats": 10},
         {"zone_id": "C", "name": "Boxes", "color": "#2980B9", "reentry": True, "seats": 2}]
CREDENTIALS = [
    {"credential_id": "crLane", "kind": "staff", "zones": [], "checkpoints": ["cpLane"], "valid_from": None,
     "valid_until": None, "inside": False},
]


def meta(*, opens, closes, timezone=None, gate=GATES[0], credentials=CREDENTIALS):
    event = {"event_id": "E1", "name": "Fight Night", "doors_open_at": opens.isoformat(),
             "doors_close_at": closes.isoformat()}
    if timezone:
        event["timezone"] = timezone
    return {"version": 1, "event": event, "checkpoint": gate, "checkpoints": GATES, "zones": ZONES,
            "credentials": credentials, "keys": [], "revoked_credentials": []}


def ticket(zone_id, seat="1"):
    zone = next(z for z in ZONES if z["zone_id"] == zone_id)
    return {"ticket_id": f"E1-{zone_id}{seat}", "seat_id": f"{zone_id}-{seat}", "zone": zone["name"],
            "zone_id": zone_id}


def rejected(reason, **extra):
    return {"result": "rejected", "reason": reason, **extra}


def clock(at: datetime, zone: str) -> tuple[str, str]:
    """("19:30", "GMT+1") as Intl's shortOffset writes them for `zone`."""
    local = at.astimezone(ZoneInfo(zone))
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    label = "GMT" if minutes == 0 else f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return local.strftime("%H:%M"), label


@pytest.fixture
def page(browser, scanner_server, tmp_path):
    driver = browser(blank_video(tmp_path / "blank.y4m"))
    driver.get(f"{scanner_server.url}/scanner/")

    def run(manifest, *calls):
        answer = driver.execute_async_script(RUN, manifest, [list(c) for c in calls])
        assert not isinstance(answer, dict), answer
        return answer

    return driver, run


def check_wrong_gate_names_the_gates_that_admit_the_zone(run):
    now = datetime.now(UTC)
    m = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=8))
    texts = run(m,
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "in", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "out", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("C")), "out", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", credential={"credential_id": "crLane", "name": "Ana",
                                                                         "kind": "staff"}), "out", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "in", ["in", "out"]]))
    assert texts[0] == "Wrong gate: General enters at East or West."
    assert texts[1] == "Wrong gate: General exits at East or Exit lane."
    assert texts[2] == "Wrong gate, and no other gate lets Boxes out. Call a supervisor."
    assert texts[3] == "Wrong gate for this pass: use Exit lane."
    # Without the offline list the phone still answers, with what the server's answer says.
    assert run(None, ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "in", ["in", "out"]]),
               ("reasonText", [rejected("zone_not_allowed", credential={"credential_id": "crLane"}), "in", ["in"]])
               ) == ["Wrong gate: General does not enter here.", "Wrong gate: this zone does not enter here."]


def check_closed_doors_say_when_in_the_events_time(run, zone):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    later = meta(opens=now + timedelta(hours=2, minutes=7), closes=now + timedelta(hours=9), timezone=zone)
    earlier = meta(opens=now - timedelta(hours=9), closes=now - timedelta(hours=3, minutes=11), timezone=zone)
    closed = rejected("event_closed", ticket=ticket("A"))
    [not_yet] = run(later, ("reasonText", [closed, "in", ["in", "out"]]))
    [over] = run(earlier, ("reasonText", [closed, "in", ["in", "out"]]))
    hhmm, offset = clock(now + timedelta(hours=2, minutes=7), zone)
    assert not_yet.startswith("Doors not open yet. They open at ") and hhmm in not_yet and offset in not_yet, not_yet
    hhmm, offset = clock(now - timedelta(hours=3, minutes=11), zone)
    assert over.startswith("Doors are closed. They closed at ") and hhmm in over and offset in over, over
    # A window the list still has open (the event moved since): the general words, never a wrong time.
    stale = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=1), timezone=zone)
    assert run(stale, ("reasonText", [closed, "in", ["in", "out"]])) == [
        "Doors are closed: outside the event's opening hours."]


def check_a_time_on_another_day_carries_its_date(run):
    now = datetime.now(UTC)
    m = meta(opens=now + timedelta(days=3), closes=now + timedelta(days=3, hours=8), timezone="Europe/Madrid")
    [text] = run(m, ("reasonText", [rejected("event_closed", ticket=ticket("A")), "in", ["in", "out"]]))
    day = (now + timedelta(days=3)).astimezone(ZoneInfo("Europe/Madrid")).day
    assert f" {day}" in text or f"{day} " in text, text


def check_a_pass_outside_its_validity_says_from_or_until_when(run):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    credentials = [{**CREDENTIALS[0], "credential_id": "crSoon", "valid_from": (now + timedelta(hours=1)).isoformat()},
                   {**CREDENTIALS[0], "credential_id": "crGone", "valid_until": (now - timedelta(hours=1)).isoformat()}]
    m = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=8), timezone="UTC", credentials=credentials)
    soon, gone = run(m, *[("reasonText", [rejected("event_closed", credential={"credential_id": c, "name": "Ana",
                                                                              "kind": "staff"}), "in", ["in", "out"]])
                          for c in ("crSoon", "crGone")])
    assert soon.startswith(f"Pass not valid yet: from {clock(now + timedelta(hours=1), 'UTC')[0]} GMT"), soon
    assert gone.startswith(f"Pass expired at {clock(now - timedelta(hours=1), 'UTC')[0]} GMT"), gone


def check_an_exit_from_a_zone_without_reentry_says_so(run):
    now = datetime.now(UTC)
    m = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=8))
    ok = {"result": "accepted", "reason": None}
    texts = run(m, ("reasonText", [{**ok, "ticket": ticket("A")}, "out", ["in", "out"]]),
                ("reasonText", [{**ok, "ticket": ticket("B")}, "out", ["in", "out"]]),
                ("noWayBack", [{**ok, "ticket": ticket("A")}, "out"]),
                ("noWayBack", [{**ok, "ticket": ticket("A")}, "in"]),
                ("noWayBack", [{**ok, "ticket": ticket("B")}, "out"]),
                ("noWayBack", [rejected("not_inside", ticket=ticket("A")), "out"]))
    assert texts == ["Exit recorded. They cannot come back in.", "Exit recorded. Goodbye.",
                     True, False, False, False]


def test_the_sentences(page):
    """One browser for every sentence (each check is independent of the others)."""
    _, run = page
    check_wrong_gate_names_the_gates_that_admit_the_zone(run)
    for zone in ("Europe/Madrid", "America/Mexico_City", "Asia/Kolkata", "UTC"):
        check_closed_doors_say_when_in_the_events_time(run, zone)
    check_a_time_on_another_day_carries_its_date(run)
    check_a_pass_outside_its_validity_says_from_or_until_when(run)
    check_an_exit_from_a_zone_without_reentry_says_so(run)


def test_what_a_read_value_is(page):
    _, run = page
    code = "T.Hq3VnK8sTz2WbX5cLm9R-Pf7Qa2Nd8Ke4Rs1Tw6Ub.k7Qp2Rs9." + "A" * 86
    values = {
        code: "code",
        "C.crLane.k7Qp2Rs9." + "A" * 86: "code",
        "X.something.k7Qp2Rs9." + "A" * 86: "unknown_kind",
        "https://venue.example/office/?pair=K7QH2MX9RA": "box_office",
        "https://venue.example/office?pair=K7QH2MX9RA": "box_office",
        "http://127.0.0.1:8000/scanner/?pair=K7QH2MX9RA": "pairing",
        "https://example.com/menu": "other",
        "just text": "other",
    }
    assert run(None, *[("codeKind", [v]) for v in values]) == list(values.values())
