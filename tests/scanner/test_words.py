"""What the steward reads for each answer (static/scanner/words.js, venue.js, kinds.js), in
headless Chromium against a manifest shaped like access/manifest.py's: the gates that admit a zone,
the doors' times in the event's time zone with its offset, re-entry, and the codes the phone
answers itself, in English and in Spanish (the words from the catalogue the phone reads,
tests/scanner/language.py). The full flows are in test_answers.py; these are the sentences, case
by case."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.localtime import utc_offset_label
from tests.scanner.language import LANGUAGES, Speaker
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
    """("19:30", "UTC+01:00"): the wall clock of `zone` at `at` and its offset, as the server
    writes them (core/localtime.py) and the phone too (static/scanner/venue.js)."""
    local = at.astimezone(ZoneInfo(zone))
    return local.strftime("%H:%M"), utc_offset_label(local)


def same_day(at: datetime, zone: str, now: datetime | None = None) -> bool:
    """Whether `at` is today on the clock of `zone` (the phone adds the date otherwise)."""
    return at.astimezone(ZoneInfo(zone)).date() == (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()


@pytest.fixture(params=LANGUAGES)
def page(request, browser, scanner_server, tmp_path):
    """(run, say): `run` calls the app's modules in Chromium speaking the language; `say` has the
    words the catalogue gives them in it."""
    driver = browser(blank_video(tmp_path / "blank.y4m"), language=request.param)
    driver.get(f"{scanner_server.url}/scanner/")

    def run(manifest, *calls):
        answer = driver.execute_async_script(RUN, manifest, [list(c) for c in calls])
        assert not isinstance(answer, dict), answer
        return answer

    return run, Speaker(request.param)


def expect_time(say, text, sentence, at, zone, key="when", today="at %(time)s", other_day="on %(date)s"):
    """`text` is the translated `sentence` with the time `at` in its %(key)s, on the clock of
    `zone`: "at 21:30 (UTC+01:00)" when it is today there; another day, the date first, in the
    language's own words ("sáb, 28 nov"), which only the browser writes."""
    hhmm, offset = clock(at, zone)
    if same_day(at, zone):
        assert text == say(sentence, **{key: say(today, time=f"{hhmm} ({offset})")}), text
    else:
        head, tail = say(sentence).split(f"%({key})s")
        assert text.startswith(head + say(other_day).split("%(date)s")[0]), text
        assert text.endswith(f"{hhmm} ({offset}){tail}"), text


def check_wrong_gate_names_the_gates_that_admit_the_zone(run, say):
    now = datetime.now(UTC)
    m = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=8))
    texts = run(m,
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "in", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "out", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("C")), "out", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", credential={"credential_id": "crLane", "name": "Ana",
                                                                         "kind": "staff"}), "out", ["in", "out"]]),
                ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "in", ["in", "out"]]))
    assert texts[0] == say("Wrong gate: %(zone)s enters at %(gates)s.", zone="General",
                           gates=say("%(names)s or %(last)s", names="East", last="West"))
    assert texts[1] == say("Wrong gate: %(zone)s exits at %(gates)s.", zone="General",
                           gates=say("%(names)s or %(last)s", names="East", last="Exit lane"))
    assert texts[2] == say("Wrong gate, and no other gate lets %(zone)s out. Call a supervisor.", zone="Boxes")
    assert texts[3] == say("Wrong gate for this pass: use %(gates)s.", gates="Exit lane")
    # Without the offline list the phone still answers, with what the server's answer says.
    assert run(None, ("reasonText", [rejected("zone_not_allowed", ticket=ticket("B")), "in", ["in", "out"]]),
               ("reasonText", [rejected("zone_not_allowed", credential={"credential_id": "crLane"}), "in", ["in"]])
               ) == [say("Wrong gate: %(zone)s does not enter here.", zone="General"),
                     say("Wrong gate: this zone does not enter here.")]


def check_closed_doors_say_when_in_the_events_time(run, say, zone):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    later = meta(opens=now + timedelta(hours=2, minutes=7), closes=now + timedelta(hours=9), timezone=zone)
    earlier = meta(opens=now - timedelta(hours=9), closes=now - timedelta(hours=3, minutes=11), timezone=zone)
    closed = rejected("event_closed", ticket=ticket("A"))
    [not_yet] = run(later, ("reasonText", [closed, "in", ["in", "out"]]))
    [over] = run(earlier, ("reasonText", [closed, "in", ["in", "out"]]))
    expect_time(say, not_yet, "Doors not open yet. They open %(when)s.", now + timedelta(hours=2, minutes=7), zone)
    expect_time(say, over, "Doors are closed. They closed %(when)s.", now - timedelta(hours=3, minutes=11), zone)
    # A window the list still has open (the event moved since): the general words, never a wrong time.
    stale = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=1), timezone=zone)
    assert run(stale, ("reasonText", [closed, "in", ["in", "out"]])) == [
        say("Doors are closed: outside the event's opening hours.")]


def check_a_time_on_another_day_carries_its_date(run, say):
    now = datetime.now(UTC)
    m = meta(opens=now + timedelta(days=3), closes=now + timedelta(days=3, hours=8), timezone="Europe/Madrid")
    [text] = run(m, ("reasonText", [rejected("event_closed", ticket=ticket("A")), "in", ["in", "out"]]))
    expect_time(say, text, "Doors not open yet. They open %(when)s.", now + timedelta(days=3), "Europe/Madrid")
    day = (now + timedelta(days=3)).astimezone(ZoneInfo("Europe/Madrid")).day
    assert f" {day}" in text or f"{day} " in text, text


def check_a_pass_outside_its_validity_says_from_or_until_when(run, say):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    credentials = [{**CREDENTIALS[0], "credential_id": "crSoon", "valid_from": (now + timedelta(hours=1)).isoformat()},
                   {**CREDENTIALS[0], "credential_id": "crGone", "valid_until": (now - timedelta(hours=1)).isoformat()}]
    m = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=8), timezone="UTC", credentials=credentials)
    soon, gone = run(m, *[("reasonText", [rejected("event_closed", credential={"credential_id": c, "name": "Ana",
                                                                              "kind": "staff"}), "in", ["in", "out"]])
                          for c in ("crSoon", "crGone")])
    expect_time(say, soon, "Pass not valid yet: valid %(from)s.", now + timedelta(hours=1), "UTC", key="from",
                today="from %(time)s", other_day="from %(date)s")
    expect_time(say, gone, "Pass expired: it was valid %(until)s.", now - timedelta(hours=1), "UTC", key="until",
                today="until %(time)s", other_day="until %(date)s")


def check_an_exit_from_a_zone_without_reentry_says_so(run, say):
    now = datetime.now(UTC)
    m = meta(opens=now - timedelta(hours=1), closes=now + timedelta(hours=8))
    ok = {"result": "accepted", "reason": None}
    texts = run(m, ("reasonText", [{**ok, "ticket": ticket("A")}, "out", ["in", "out"]]),
                ("reasonText", [{**ok, "ticket": ticket("B")}, "out", ["in", "out"]]),
                ("noWayBack", [{**ok, "ticket": ticket("A")}, "out"]),
                ("noWayBack", [{**ok, "ticket": ticket("A")}, "in"]),
                ("noWayBack", [{**ok, "ticket": ticket("B")}, "out"]),
                ("noWayBack", [rejected("not_inside", ticket=ticket("A")), "out"]))
    assert texts == [say("Exit recorded. They cannot come back in."), say("Exit recorded. Goodbye."),
                     True, False, False, False]


def test_the_sentences(page):
    """One browser for every sentence (each check is independent of the others)."""
    run, say = page
    check_wrong_gate_names_the_gates_that_admit_the_zone(run, say)
    for zone in ("Europe/Madrid", "America/Mexico_City", "Asia/Kolkata", "UTC"):
        check_closed_doors_say_when_in_the_events_time(run, say, zone)
    check_a_time_on_another_day_carries_its_date(run, say)
    check_a_pass_outside_its_validity_says_from_or_until_when(run, say)
    check_an_exit_from_a_zone_without_reentry_says_so(run, say)


def test_what_a_read_value_is(page):
    run, _ = page
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
