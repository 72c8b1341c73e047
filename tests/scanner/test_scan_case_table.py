"""The scan case table (tests/scan_cases.py) against the phone's copy of the rules,
static/scanner/offline.js, in headless Chromium with WebCrypto.

For each case the phone decides from the real manifest (access.manifest.build_manifest, taken
after the case's history and before any revocation) at the case's instant, as the door app does
offline. The answer must be the table's: the server's, except where the table says the phone
cannot know better (access/vocabulary.py SERVER_ONLY_REASONS). tests/access/test_scan_case_table.py
runs the same table on the server."""
from __future__ import annotations

import pytest
from django.utils import timezone

from access.vocabulary import SERVER_ONLY_REASONS, Reason
from tests.scan_cases import CASES, build_world, manifest_json
from tests.scanner.video import blank_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECIDE = """
const [manifestJson, code, direction, at, done] = arguments;
import('/static/scanner/offline.js').then(async (m) => {
  const manifest = new m.Manifest();
  manifest.apply(JSON.parse(manifestJson));
  const keys = new m.KeyRing();
  keys.setKeys(manifest.meta.keys);
  const parsed = m.parseCode(code);
  const verified = await keys.verify(parsed);
  const d = m.decide({parsed, verified, direction, manifest, local: new m.LocalScans(), at});
  done({result: d.result, reason: d.reason});
}).catch((e) => done({error: String(e)}));
"""

REASONS = """
const done = arguments[0];
import('/static/scanner/offline.js').then((m) => done({reasons: [...m.REASONS], frozen: Object.isFrozen(m.REASONS)}))
  .catch((e) => done({error: String(e)}));
"""


def test_the_phone_gives_the_tables_answer(browser, scanner_server, tmp_path):
    driver = browser(blank_video(tmp_path / "blank.y4m"))
    driver.get(f"{scanner_server.url}/scanner/")

    wrong = []
    for case in CASES:
        world = build_world(case)
        at = world.moment or timezone.now()
        phone = driver.execute_async_script(DECIDE, manifest_json(world), world.code, case.direction,
                                            int(at.timestamp() * 1000))
        assert "error" not in phone, phone
        if (phone["result"], phone["reason"]) != case.phone_expect:
            wrong.append(f"{case.name}: phone {phone['result']}/{phone['reason']}, table {case.phone_expect}")
    assert not wrong, f"{len(wrong)} of {len(CASES)} cases:\n" + "\n".join(wrong)


def test_the_phone_exports_the_reasons_it_can_answer(browser, scanner_server, tmp_path):
    """The module really exports its reason list (tests/test_vocabulary.py reads the source)."""
    driver = browser(blank_video(tmp_path / "blank.y4m"))
    driver.get(f"{scanner_server.url}/scanner/")
    answer = driver.execute_async_script(REASONS)
    assert answer.get("frozen") is True, answer
    assert sorted(answer["reasons"]) == sorted(set(Reason.values) - SERVER_ONLY_REASONS)
