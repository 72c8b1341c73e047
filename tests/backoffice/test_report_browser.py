"""The post-event report page in headless Chromium, served by granian (WSGI) from the test
database: log in as staff, open the report, every chart is drawn with the night's numbers, and
the page prints (Chromium's own PDF) without the admin's chrome. Screenshots of the screen and of
the printed pages land in REPORT_SCREENSHOTS (default: the test's tmp dir) for a person to look at.

Waits poll the DOM with a deadline; nothing sleeps."""
from __future__ import annotations

import base64
import io
import os
import shutil
import unicodedata
from pathlib import Path

import pytest

from tests.backoffice.report_scenario import build_night

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else shutil.which("chromedriver")


@pytest.fixture
def browser():
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Headless Chromium not found: install Debian's chromium and chromium-driver.")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1440,1000", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("REPORT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Per chart canvas: how many datasets it has and how many of its pixels are painted (not blank).
_CHARTS_JS = """
return Array.from(document.querySelectorAll('canvas')).map((c) => {
  const chart = window.Chart && window.Chart.getChart(c);
  const ctx = c.getContext('2d');
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return {id: c.id || c.dataset.flow, width: c.width, height: c.height, painted,
          labels: chart ? chart.data.labels.length : -1,
          datasets: chart ? chart.data.datasets.map((d) => [d.label, d.data.length, d.data.reduce((a, b) => a + Math.abs(Number(b) || 0), 0)]) : []};
});
"""


def test_report_page_draws_its_charts_and_prints(app_server, browser, shots, django_user_model):
    from pypdf import PdfReader
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    night = build_night()
    django_user_model.objects.create_user("lead", password="pw-lead-12345", is_staff=True)
    url = f"{app_server}/admin/events/event/{night.event.event_id}/report/"

    browser.get(url)
    assert "/admin/login/" in browser.current_url
    browser.find_element(By.ID, "id_username").send_keys("lead")
    browser.find_element(By.ID, "id_password").send_keys("pw-lead-12345")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 15, poll_frequency=0.05).until(lambda d: d.current_url == url, "no redirect to the report")
    WebDriverWait(browser, 15, poll_frequency=0.05).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-charts") not in (None, ""), "charts not drawn")
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-charts") == "7"
    # (The admin's login page asks for /favicon.ico, which no page of the project serves.)
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert logs == [], logs

    charts = {c["id"]: c for c in browser.execute_script(_CHARTS_JS)}
    north, south = night.checkpoints["North"].checkpoint_id, night.checkpoints["South"].checkpoint_id
    assert set(charts) == {"chart-attendance", "chart-gates", "chart-zones", north, south, "chart-rejections",
                           "chart-sales"}
    for name, chart in charts.items():
        assert chart["width"] > 200 and chart["height"] > 100, name
        assert chart["painted"] > 2000, f"{name} looks blank: {chart}"
    # The charts carry the night's numbers: 6 minutes; 7 entries, 2 exits; 4 reasons; 3 channels.
    attendance = {label: (n, total) for label, n, total in charts["chart-attendance"]["datasets"]}
    assert attendance["entries / min"] == (6, 7) and attendance["exits / min"] == (6, 2)
    assert attendance["inside"] == (6, 3 + 4 + 4 + 5 + 5 + 5)
    assert charts["chart-rejections"]["labels"] == 4 and charts["chart-sales"]["labels"] == 3
    assert [d[0] for d in charts["chart-zones"]["datasets"]] == ["Ringside inside", "Ringside seats", "General inside",
                                                                "General seats"]
    # Words and local times on the page, no reason codes.
    text = browser.find_element(By.ID, "report").text
    assert "Already used, no re-entry in this zone" in text and "already_used" not in text
    assert "20:03 (UTC+01:00)" in text  # the peak minute, on Madrid's clock
    browser.save_screenshot(str(shots / "report-top.png"))
    browser.execute_script("document.getElementById('flow-table').scrollIntoView()")
    browser.save_screenshot(str(shots / "report-flow.png"))
    browser.execute_script("document.getElementById('devices-table').scrollIntoView()")
    browser.save_screenshot(str(shots / "report-devices.png"))

    # Print: Chromium's PDF of the page (print media): the report without the admin's chrome.
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})["data"])
    (shots / "report-print.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    printed = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))  # ﬂ -> fl
    assert 1 <= len(reader.pages) <= 6, len(reader.pages)
    assert "Entry flow by gate" in printed and "Noche de Prueba" in printed
    assert "Django administration" not in printed and "Recompute" not in printed  # chrome and controls hidden
    _pdf_pages_to_png(pdf, shots)


def _pdf_pages_to_png(pdf: bytes, folder: Path) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    for i in range(len(document)):
        document[i].render(scale=1.2).to_pil().save(folder / f"report-print-{i + 1}.png")
