"""The usage report's daily jobs (workflows.settlement): reports due after the project end and
the reminders before and after the due date. They look at every grant, so they are apart from
test_report_flow.py, whose grant is built once per module."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from fund_manager.core.models import AuditEntry
from fund_manager.settlement.models import UsageReport
from tests.settlement.test_report_support import TODAY, grant_in_payment
from workflows import settlement as flows

pytestmark = pytest.mark.django_db


def test_mark_reports_due(provider, organisation, office):
    ended = grant_in_payment(provider, organisation, office=office, with_process=False)
    running = grant_in_payment(
        provider,
        organisation,
        office=office,
        with_process=False,
        end_date=TODAY + datetime.timedelta(days=5),
    )
    out = io.StringIO()
    call_command("mark_reports_due", stdout=out)
    assert "1 usage report(s) due." in out.getvalue()
    ended.refresh_from_db()
    running.refresh_from_db()
    assert (ended.state, running.state) == ("report_due", "in_payment")
    report = UsageReport.objects.get(application=ended)
    assert report.due_on == flows.rules.due_date(ended.end_date, ended.fund.proof_of_use_months)
    assert report.cost_lines.count() == 2
    assert flows.mark_reports_due() == []  # idempotent
    assert not UsageReport.objects.filter(application=running).exists()


def test_mark_reports_due_keeps_a_draft_started_early(provider, organisation, office):
    application = grant_in_payment(provider, organisation, office=office, with_process=False)
    draft = flows.save_report(application=application, by=provider, narrative="früh begonnen")
    [report] = flows.mark_reports_due()
    assert report.pk == draft.pk
    assert UsageReport.objects.get(pk=draft.pk).narrative == "früh begonnen"


def test_reminders_are_sent_once_before_and_once_after(
    provider, organisation, office, django_capture_on_commit_callbacks
):
    application = grant_in_payment(provider, organisation, office=office, with_process=False)
    [report] = flows.mark_reports_due()
    mail.outbox.clear()
    before = report.due_on - datetime.timedelta(days=14)
    after = report.due_on + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert flows.send_report_reminders(today=before - datetime.timedelta(days=1)) == []
        sent = flows.send_report_reminders(today=before)
        assert [(r.pk, kind) for r, kind in sent] == [(report.pk, "before")]
        assert flows.send_report_reminders(today=before + datetime.timedelta(days=1)) == []
        assert flows.send_report_reminders(today=report.due_on) == []
        assert [kind for _r, kind in flows.send_report_reminders(today=after)] == ["after"]
        assert flows.send_report_reminders(today=after + datetime.timedelta(days=7)) == []
    report.refresh_from_db()
    assert (report.reminded_before_on, report.reminded_after_on) == (before, after)
    assert len(mail.outbox) == 2
    assert application.title in mail.outbox[0].body
    assert (
        "usage report" in mail.outbox[1].subject.lower()
        or "Verwendungsnachweis" in mail.outbox[1].subject
    )
    assert AuditEntry.objects.filter(action__startswith="report.reminder_").count() == 2


def test_send_report_reminders_command(provider, organisation, office):
    grant_in_payment(
        provider,
        organisation,
        office=office,
        with_process=False,
        end_date=TODAY - datetime.timedelta(days=200),
    )
    flows.mark_reports_due()
    out = io.StringIO()
    call_command("send_report_reminders", stdout=out)
    assert "1 reminder(s) sent." in out.getvalue()
    out = io.StringIO()
    call_command("send_report_reminders", stdout=out)
    assert "0 reminder(s) sent." in out.getvalue()
