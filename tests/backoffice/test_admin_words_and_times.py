"""The admin in plain words and local times (issue 16 items 5-6, issue 17 item 1): ledger actions,
scan reasons, results, modes, alert kinds and device roles read as words, never as codes; every
list shows times on the clock of the row's own event with its UTC offset; filters by reason and
by what happened work on the codes behind the words; yes/no icons speak the page's language."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import translation

from access.services import revoke_credential
from access.vocabulary import Reason
from alerts.vocabulary import AlertKind
from core.adminutils import yes_no
from events.models import Event
from offices.models import OfficeAssignment, OfficeSale
from tests.backoffice.report_scenario import build_night
from tickets.admin import ACTION_WORDS
from tickets.models import LEDGER_ACTIONS, LedgerEntry, TicketHold

pytestmark = pytest.mark.django_db

TOKYO = "Asia/Tokyo"  # UTC+09:00 all year: the wall clock differs from UTC and from Madrid


@pytest.fixture
def night(db):
    """The report's night (Europe/Madrid) moved to Tokyo's clock: whatever a list shows must follow."""
    night = build_night()
    Event.objects.filter(pk=night.event.pk).update(timezone=TOKYO)
    night.event.refresh_from_db()
    return night


@pytest.fixture
def lead(client, django_user_model):
    user = django_user_model.objects.create_user("lead", password="pw-lead-12345", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def tokyo(at) -> str:
    return at.astimezone(ZoneInfo(TOKYO)).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+09:00)"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rows(html: str, column: str) -> list[str]:
    """The text of one column (its field-... class) on every row of a change list."""
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(rf'class="field-{column}">(.*?)</t[dh]>', html)]


# ----------------------------------------------------------------------------- the ledger

def test_every_ledger_action_has_words():
    assert set(ACTION_WORDS) == set(LEDGER_ACTIONS)
    for language in ("en", "es"):
        with translation.override(language):
            assert all(str(ACTION_WORDS[code]) not in ("", code) for code in LEDGER_ACTIONS)
    with translation.override("es"):
        assert str(ACTION_WORDS["accessed"]) == "Entró" and str(ACTION_WORDS["came-out"]) == "Salió"


def test_the_ledger_reads_as_what_happened_on_the_events_clock(lead, night):
    a1 = night.ticket("A-1")
    entered = LedgerEntry.objects.filter(ticket=a1, action="accessed").order_by("id").first()
    page = lead.get("/admin/tickets/ledgerentry/?action=accessed", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert set(rows(page, "what")) == {"Went in"}  # the filter keeps the code, the column says it in words
    assert tokyo(entered.date) in page and "accessed" not in rows(page, "what")
    spanish = lead.get("/admin/tickets/ledgerentry/?action=came-out", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert set(rows(spanish, "what")) == {"Salió"} and "A-1" in rows(spanish, "seat")
    # The filter lists the actions in words, and a ticket's page its history in words and local time.
    assert ">Went out</a>" in page and ">Given to a box office</a>" in page
    detail = lead.get(f"/admin/tickets/ticket/{a1.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Went in" in detail and tokyo(entered.date) in detail
    assert tokyo(a1.date_start) in detail  # the ticket's own times too


# ----------------------------------------------------------------------------- times on every list

def test_office_sales_assignments_holds_and_credentials_show_the_events_clock(lead, night):
    sale = OfficeSale.objects.filter(office=night.office).order_by("received_at").first()
    assignment = OfficeAssignment.objects.filter(office=night.office, returned_at__isnull=False).get()
    revoke_credential(credential_id=night.credential.pk)
    night.credential.refresh_from_db()
    sales = lead.get("/admin/offices/officesale/").content.decode()
    assert tokyo(sale.received_at) in sales and tokyo(sale.sold_at) in sales
    assert "Taquilla Norte" in rows(sales, "office_name")
    given = lead.get("/admin/offices/officeassignment/").content.decode()
    assert tokyo(assignment.assigned_at) in given and tokyo(assignment.returned_at) in given
    credentials = lead.get("/admin/access/credential/").content.decode()
    assert tokyo(night.credential.revoked_at) in credentials
    hold = TicketHold.objects.order_by("id").first()
    if hold is not None:  # the night's checkout hold, kept after checkout
        holds = lead.get("/admin/tickets/tickethold/").content.decode()
        assert tokyo(hold.locked_up) in holds


def test_the_scan_list_filters_by_reason_and_names_gates_phones_and_seats(lead, night):
    page = lead.get(f"/admin/access/scan/?reason={Reason.ALREADY_INSIDE}").content.decode()
    assert rows(page, "reason_words") == [str(Reason.ALREADY_INSIDE.label)] * 3  # two re-reads and the offline one
    assert sorted(rows(page, "phone")) == ["North 1", "North 1", "North 2"]
    assert set(rows(page, "gate")) == {"North"} and set(rows(page, "held_by")) == {"A-1", "B-2"}
    everything = lead.get("/admin/access/scan/").content.decode()
    assert "Sam Staff" in " ".join(rows(everything, "held_by"))  # a credential by its name


def test_no_code_is_left_where_people_read(lead, night):
    scans = lead.get("/admin/access/scan/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for column in ("outcome", "reason_words", "direction_words", "mode_words"):
        shown = set(rows(scans, column)) - {"-"}
        assert shown and not shown & {"accepted", "rejected", "in", "out", "online", "sync", *Reason.values}, column
    assert "Already inside" in rows(scans, "reason_words")
    spanish = lead.get("/admin/access/scan/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert not (set(rows(spanish, "reason_words")) & set(rows(scans, "reason_words"))) - {"-"}  # translated
    alerts = lead.get("/admin/alerts/alert/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Offline conflict" in rows(alerts, "what") and not set(rows(alerts, "what")) & set(AlertKind.values)
    report = lead.get(f"/admin/events/event/{night.event.event_id}/report/").content.decode()
    assert ">already_used<" not in report and ">not_sold<" not in report
    sales = text_of(lead.get("/admin/offices/officesale/").content.decode())
    assert "not_assigned" not in sales and "rejected" not in sales  # in the filter's addresses only


# ----------------------------------------------------------------------------- yes and no

def test_yes_no_icons_speak_the_pages_language():
    with translation.override("es"):
        assert 'alt="Sí"' in yes_no(True) and 'alt="No"' in yes_no(False) and 'alt="Desconocido"' in yes_no(None)
    with translation.override("en"):
        assert 'alt="Yes"' in yes_no(True) and "icon-no" in yes_no(False)


def test_boolean_columns_have_no_python_words(lead, night):
    page = lead.get("/admin/access/scan/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'alt="False"' not in page and 'alt="True"' not in page and 'alt="No"' in page


def test_the_set_up_page_is_in_spanish(lead, night):
    """The guide, the stock table and the zones' form, for a Spanish-speaking browser."""
    page = text_of(lead.get(f"/admin/events/event/{night.event.event_id}/change/",
                            HTTP_ACCEPT_LANGUAGE="es").content.decode())
    for words in ("Preparación, paso a paso", "Datos del evento", "Generar entradas", "Existencias e ingresos (EUR)",
                  "Vender asientos…", "Zona horaria", "Apertura de puertas (minutos antes del inicio)",
                  "Las puertas abren el", "15 entradas generadas el"):
        assert words in page, words
    assert "Set-up, step by step" not in page and "Stock and revenue" not in page


def test_client_language_follows_the_switch(night, django_user_model):
    """The language cookie (the switch) beats the browser's Accept-Language, in the admin too."""
    user = django_user_model.objects.create_user("lead2", password="pw-lead-12345", is_staff=True,
                                                 is_superuser=True)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "es"
    page = client.get(f"/admin/events/event/{night.event.event_id}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Preparación, paso a paso" in page.content.decode()
