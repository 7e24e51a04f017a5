"""What each role's start page shows with the demo (issue 13), what a provider must not see,
and the ledger check: the auditor's button and the command, each recording its run."""

from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.urls import reverse

from fund_manager.core import context_processors
from fund_manager.ledger.models import Transfer
from fund_manager.reporting import verification
from fund_manager.reporting.models import VerificationRun
from tests.factories import OrganisationFactory, provider_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_data):
    """The whole demo, seeded once for this module (tests/conftest.py: demo_data)."""
    return demo_data


def page(client, demo, username, url):
    client.force_login(demo.users[username])
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def section(html, element_id):
    """The markup from the element with ``element_id`` to the next <h2> (or the end)."""
    start = html.index(f'id="{element_id}"')
    end = html.find("<h2", start + 1)
    return html[start : end if end != -1 else len(html)]


# --- provider -----------------------------------------------------------------------------------
def test_a_provider_lands_on_its_start_page(client, demo):
    client.force_login(demo.users["traeger"])
    assert client.get(reverse("dashboard:home"))["Location"] == reverse("dashboard:provider")


def test_the_provider_sees_its_active_applications_with_the_next_step(client, demo):
    html = page(client, demo, "traeger", reverse("dashboard:provider"))
    applications = section(html, "provider-applications")
    for reference in ("VF-2026-0001", "VF-2017-0015", "VF-2017-0001"):
        assert reference in applications
    # Finished ones stay on the full list only.
    assert "VF-2026-0002" not in applications  # withdrawn
    assert "VF-2017-0007" not in applications  # closed
    # The usage report of VF-2017-0015 is due: its row names the deadline.
    row = applications.split("VF-2017-0015")[1].split("</tr>")[0]
    assert "30.06.2018" in row
    assert 'href="/applications/"' in html  # the full list


def test_the_provider_sees_its_reports_due_and_payments(client, demo):
    html = page(client, demo, "traeger", reverse("dashboard:provider"))
    reports = section(html, "provider-reports")
    assert "VF-2017-0015" in reports
    payments = section(html, "provider-payments")
    assert "VF-2017-0015-2" in payments  # certified: being checked
    assert "VF-2017-0007-1" in payments  # paid
    assert "1.400,00" in payments  # requested, not yet ordered
    assert "1.600,00" in payments  # paid


def test_a_provider_never_sees_another_organisations_records(client, demo):
    html = page(client, demo, "traeger", reverse("dashboard:provider"))
    # Stadtsportbund (traeger2): applications, report and payments.
    for foreign in (
        "VF-2026-0004",
        "VF-2026-0003",
        "VF-2017-0016",
        "VF-2017-0008",
        "Stadtsportbund",
    ):
        assert foreign not in html, foreign
    other = page(client, demo, "traeger2", reverse("dashboard:provider"))
    assert "VF-2017-0016" in other
    assert "VF-2017-0015" not in other


def test_a_new_provider_sees_what_to_do_first(client, demo):
    client.force_login(provider_user(OrganisationFactory()))
    html = client.get(reverse("dashboard:provider")).content.decode()
    applications = section(html, "provider-applications")
    assert 'class="empty"' in applications
    assert 'id="provider-applications-table"' not in html
    assert f'href="{reverse("applications:create")}"' in html
    assert "VF-2017" not in html


def test_staff_cannot_open_the_provider_page(client, demo):
    for username in ("projektbuero", "kaemmerei", "pruefung", "lenkung1"):
        client.force_login(demo.users[username])
        assert client.get(reverse("dashboard:provider")).status_code == 403, username


# --- project office ------------------------------------------------------------------------------
def test_the_office_sees_inbox_pipeline_round_reports_and_claims(client, demo):
    html = page(client, demo, "projektbuero", reverse("dashboard:office"))
    assert 'id="office-inbox"' in html
    assert reverse("workflows:inbox") in html
    pipeline = section(html, "office-pipeline")
    for state in ("submitted", "in_review", "report_due"):
        assert f"?state={state}" in pipeline
    assert "?state=draft" not in pipeline  # the applicants' own
    assert 'id="office-next-round"' in html
    overdue = section(html, "overdue-reports")
    assert "VF-2017-0015" in overdue  # due 30.06.2018, not submitted
    assert "VF-2017-0007" not in overdue  # accepted
    claims = section(html, "open-claims")
    assert "RF-2017-001" in claims
    assert "RF-2017-002" not in claims  # settled


# --- steering -----------------------------------------------------------------------------------
def test_the_steering_member_sees_the_next_session_and_the_documents(client, demo):
    html = page(client, demo, "lenkung1", reverse("dashboard:steering"))
    session = section(html, "steering-next-session")
    # The demo's round 2026/1 with its three items (title, organisation, amounts).
    assert 'id="agenda-table"' in session
    for reference in ("VF-2026-0006", "VF-2026-0007", "VF-2026-0008"):
        assert reference in session
    assert "Caritasverband Herne" in session
    assert "2.850,00" in session
    assert "8.550,00" in session  # the total requested
    documents = section(html, "steering-documents")
    assert reverse("rounds:list") in documents
    assert "/minutes.pdf" in documents  # a member entitled in the last decided round


def test_the_chair_reads_the_minutes_of_the_last_decided_round(client, demo):
    html = page(client, demo, "vorsitz", reverse("dashboard:steering"))
    assert "/minutes.pdf" in section(html, "steering-documents")


# --- finance ------------------------------------------------------------------------------------
def test_finance_sees_budget_payments_export_claims_and_freezes(client, demo):
    html = page(client, demo, "kaemmerei", reverse("dashboard:finance"))
    budget = section(html, "finance-budget")
    for field in demo.fields.values():
        assert field.name in budget
    payments = section(html, "finance-payments")
    assert "?state=certified" in payments
    assert "?state=exported" in payments
    assert "VF-2017-0008-1" in payments  # exported, not yet confirmed
    assert 'id="last-export"' in payments
    assert "RF-2017-001" in section(html, "open-claims")
    assert 'id="finance-freezes"' in html
    assert 'id="verify-now"' in html  # finance may run the check too


def test_finance_budget_figures_are_the_ledgers(demo):
    """The start page sums the materialised balances in the database (constant work whatever
    the number of applications); its figures are ledger.selectors.balances' for every open
    year: per action field, the totals, not yet allocated and whether the year balances."""
    from fund_manager.dashboard import selectors
    from fund_manager.ledger import selectors as ledger_selectors

    ours = selectors.year_balances()
    assert ours, "the demo has an open fiscal year"
    theirs = [ledger_selectors.balances(year) for year in selectors.current_years()]
    figures = ("allocated", "available", "committed", "disbursed", "refunded")
    for mine, ledger in zip(ours, theirs, strict=True):
        assert mine.fiscal_year == ledger.fiscal_year
        assert [r.action_field for r in mine.fields] == [r.action_field for r in ledger.fields]
        for row, expected in zip(mine.fields, ledger.fields, strict=True):
            for name in figures:
                assert getattr(row, name) == getattr(expected, name), (row.action_field, name)
            assert row.accounts == expected.accounts
        for name in figures:
            assert getattr(mine.totals, name) == getattr(ledger.totals, name), name
        for name in ("budget", "unallocated", "returned", "carried_in", "accounted", "balanced"):
            assert getattr(mine, name) == getattr(ledger, name), name
    assert any(row.committed for year in ours for row in year.fields)


# --- auditor ------------------------------------------------------------------------------------
def test_the_auditor_sees_ledger_years_entries_and_the_check(client, demo):
    html = page(client, demo, "pruefung", reverse("dashboard:audit"))
    ledger = section(html, "audit-ledger")
    assert reverse("ledger:balances", args=[demo.year_2017.pk]) in ledger
    assert reverse("ledger:journal", args=[demo.year_2017.pk]) in ledger
    assert 'class="history"' in html
    assert 'id="verify-now"' in html
    assert 'id="verification-problems"' not in html


def test_the_check_button_is_post_only_and_needs_the_permission(client, demo):
    url = reverse("dashboard:verify")
    client.force_login(demo.users["pruefung"])
    assert client.get(url).status_code == 405
    for username in ("traeger", "projektbuero", "lenkung1"):
        client.force_login(demo.users[username])
        assert client.post(url).status_code == 403, username
    assert not VerificationRun.objects.exists()


def test_the_auditor_runs_the_check_and_sees_result_and_time(client, demo):
    auditor = demo.users["pruefung"]
    client.force_login(auditor)
    response = client.post(reverse("dashboard:verify"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:audit")
    run = VerificationRun.objects.get()
    assert (run.by, run.trigger, run.ok, run.problems) == (auditor, "page", True, [])
    assert run.checked["fiscal_years"] == 2
    assert run.checked["transfers"] > 0
    assert run.started_at <= run.finished_at
    html = client.get(reverse("dashboard:audit")).content.decode()
    result = html.split('id="verification-result"')[1].split("</p>")[0]
    assert run.finished_at.astimezone().strftime("%d.%m.%Y") in result
    assert (auditor.get_full_name() or auditor.username) in result


def test_a_second_run_within_a_minute_is_not_started(client, demo):
    client.force_login(demo.users["pruefung"])
    client.post(reverse("dashboard:verify"))
    response = client.post(reverse("dashboard:verify"), follow=True)
    assert response.status_code == 200
    assert VerificationRun.objects.count() == 1
    # The command is never limited.
    call_command("verify_ledger", stdout=StringIO())
    assert VerificationRun.objects.count() == 2


def test_finance_may_run_the_check_and_returns_to_its_page(client, demo):
    client.force_login(demo.users["kaemmerei"])
    response = client.post(reverse("dashboard:verify"))
    assert response["Location"] == reverse("dashboard:finance")
    assert VerificationRun.objects.get().by == demo.users["kaemmerei"]


def test_a_failing_check_shows_its_problems(client, demo, monkeypatch):
    monkeypatch.setattr(
        verification, "verify_payments", lambda: ["Payment VF-2017-0002-1: no disbursement"]
    )
    client.force_login(demo.users["pruefung"])
    client.post(reverse("dashboard:verify"))
    run = VerificationRun.objects.get()
    assert run.ok is False
    assert run.problems == ["Payment VF-2017-0002-1: no disbursement"]
    html = client.get(reverse("dashboard:audit")).content.decode()
    problems = html.split('id="verification-problems"')[1].split("</ul>")[0]
    assert "Payment VF-2017-0002-1: no disbursement" in problems
    assert "kern-alert--danger" in section(html, "verification")


# --- the command --------------------------------------------------------------------------------
def test_the_command_records_its_run(demo):
    out = StringIO()
    call_command("verify_ledger", stdout=out, no_color=True)
    run = VerificationRun.objects.get()
    assert (run.by, run.trigger, run.ok) == (None, "command", True)
    assert run.checked["fiscal_years"] == 2
    assert run.checked["transfers"] == Transfer.objects.count()
    year_2017 = Transfer.objects.filter(fiscal_year=demo.year_2017).count()
    assert f"{demo.year_2017}: OK ({year_2017} transfers)" in out.getvalue()


def test_the_command_records_a_failing_run_and_exits_1(demo, monkeypatch):
    monkeypatch.setattr(verification, "verify_payments", lambda: ["Payment X: no disbursement"])
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_ledger", stdout=out, no_color=True)
    assert exit_.value.code == 1
    assert "Payment X: no disbursement" in out.getvalue()
    run = VerificationRun.objects.get()
    assert (run.trigger, run.ok, run.problems) == ("command", False, ["Payment X: no disbursement"])


# --- navigation ---------------------------------------------------------------------------------
def test_navigation_lists_the_insight_pages_by_permission(demo):
    def names(user):
        return [link["name"] for link in context_processors.insight_links(user)]

    staff_pages = [
        "reporting:statistics",
        "reporting:status_report",
        "reporting:audit_trail",
        "reporting:decisions",
    ]
    assert names(demo.users["pruefung"]) == staff_pages
    no_trail = [name for name in staff_pages if name != "reporting:audit_trail"]
    assert names(demo.users["projektbuero"]) == no_trail
    assert names(demo.users["kaemmerei"]) == no_trail
    assert names(demo.users["lenkung1"]) == ["reporting:statistics", "reporting:status_report"]
    # The open data are public: in the visitors' menu; a logged-in menu stays short.
    assert names(demo.users["traeger"]) == []
    assert names(AnonymousUser()) == ["public:opendata"]


def test_the_auditor_page_links_the_whole_audit_trail(client, demo):
    html = page(client, demo, "pruefung", reverse("dashboard:audit"))
    assert f'href="{reverse("reporting:audit_trail")}"' in html
