"""The application page leads with what matters now (issue 12, item 5).

The summary (state, decision, approved amount, conditions, next step with its deadline, the
notice) comes first; the guideline check and the history fold below in <details>. The next
step's sentence follows the state; another organisation's provider still gets a 404.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from fund_manager.applications import services
from fund_manager.applications.models import Application
from fund_manager.rounds.models import AgendaItem, FundingRound, ItemState, RoundState
from policies.settlement import due_date
from tests.factories import (
    ApplicationFactory,
    force_state,
    force_state_with_approval,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def day(offset):
    return TODAY + datetime.timedelta(days=offset)


def short(value):
    return date_format(value, "SHORT_DATE_FORMAT")


def page(client, user, application):
    client.force_login(user)
    response = client.get(reverse("applications:detail", args=[application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def make_round(year, number, deadline, session, state):
    funding_round = FundingRound.objects.create(
        fiscal_year=year,
        number=number,
        submission_deadline=day(deadline),
        session_date=day(session),
    )
    FundingRound.objects.filter(pk=funding_round.pk).update(state=state)
    funding_round.refresh_from_db()
    return funding_round


def between(html, start_marker, end_marker):
    start = html.index(start_marker)
    return html[start : html.index(end_marker, start)]


def next_step(html):
    """The text of the next-step box (tags stripped, whitespace collapsed)."""
    box = between(html, 'id="next-step"', "</section>")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box))


# --- order: the summary first, the guideline check and the history folded below --------------
def test_the_summary_comes_before_the_guideline_check_and_the_history(client, submitted, provider):
    html = page(client, provider, submitted)
    summary = html.index('id="summary"')
    check = html.index('id="check-heading"')
    history = html.index('id="history-heading"')
    assert summary < html.index('id="next-step"') < check < history
    # Both sit inside a fold (<details class="fm-fold">), closed for a submitted application.
    for marker in ('id="check-heading"', 'id="history-heading"'):
        fold_start = html.rindex("<details", 0, html.index(marker))
        assert html.rfind("</details>", 0, html.index(marker)) < fold_start
        assert 'class="fm-fold"' in html[fold_start : html.index(">", fold_start) + 1]
        assert " open" not in html[fold_start : html.index(">", fold_start) + 1]
    # The state badge is in the summary, before anything else of the page's content.
    assert summary < html.index("state-submitted") < html.index('id="next-step"')


def test_changes_requested_opens_the_guideline_check_and_quotes_the_office(
    client, submitted, provider, office
):
    services.start_review(application=submitted, by=office)
    services.request_changes(application=submitted, by=office, note="Bitte Kosten aufschlüsseln")
    html = page(client, provider, submitted)
    fold = between(html, '<details class="fm-fold" id="guideline-check"', ">")
    assert " open" in fold
    assert "Bitte Kosten aufschlüsseln" in next_step(html)
    assert f'href="{reverse("applications:submit", args=[submitted.pk])}"' in between(
        html, 'id="next-step"', "</section>"
    )


# --- the next step per state ----------------------------------------------------------------
def test_a_draft_says_check_and_submit_with_the_next_deadline(client, draft, provider):
    make_round(draft.fiscal_year, 1, 10, 20, RoundState.OPEN)
    html = page(client, provider, draft)
    text = next_step(html)
    assert "Prüfen Sie Ihren Antrag" in text
    assert f"bis {short(day(10))} ein" in text
    assert short(day(20)) in text
    assert f"Frist: {short(day(10))}" in text
    box = between(html, 'id="next-step"', "</section>")
    # The one action: check and submit (edit and delete beside it).
    assert f'href="{reverse("applications:submit", args=[draft.pk])}"' in box
    assert "Prüfen und einreichen" in box
    assert f'href="{reverse("applications:edit", args=[draft.pk])}"' in box
    # The completeness check of a draft stays in view (not folded).
    assert html.index('id="next-step"') < html.index('id="completeness-heading"')
    assert "<details" not in between(html, 'id="summary"', 'id="completeness-heading"')


def test_a_submitted_application_waits_for_the_steering_group(client, submitted, provider):
    make_round(submitted.fiscal_year, 1, 10, 20, RoundState.OPEN)
    text = next_step(page(client, provider, submitted))
    assert "Das Projektbüro prüft den Antrag" in text
    assert f"Warten Sie danach auf die Entscheidung der Lenkungsgruppe am {short(day(20))}" in text
    # A session day is no deadline of the applicant's.
    assert "Frist" not in text


def test_a_scheduled_application_names_the_session_of_its_round(client, draft, provider):
    funding_round = make_round(draft.fiscal_year, 1, -5, 7, RoundState.CLOSED)
    force_state(draft, "scheduled")
    AgendaItem.objects.create(round=funding_round, application=draft, position=1)
    text = next_step(page(client, provider, draft))
    assert f"Warten Sie auf die Entscheidung der Lenkungsgruppe am {short(day(7))}" in text


def approved_with_notice(application, conditions="Teilnehmerlisten führen."):
    """``application`` approved in a minuted round whose notice reached it ``days`` ago."""
    force_state_with_approval(application, "approved")
    funding_round = make_round(application.fiscal_year, 1, -60, -45, RoundState.MINUTED)
    return AgendaItem.objects.create(
        round=funding_round,
        application=application,
        position=1,
        state=ItemState.APPROVED,
        conditions=conditions,
        notified_on=day(-40),
        notified_via="post",
    )


def test_an_approval_shows_decision_amount_conditions_notice_and_request_money(
    client, draft, provider
):
    approved_with_notice(draft)
    draft.refresh_from_db()
    html = page(client, provider, draft)
    summary = between(html, 'id="summary"', 'id="next-step"')
    assert "Bewilligt am" in summary
    assert "Förderrunde" in summary
    assert 'id="approved-amount"' in summary
    assert "Teilnehmerlisten führen." in between(summary, 'id="conditions"', "</dd>")
    # The notice: downloadable from the decision's section at the top.
    notice = reverse("rounds_documents:notice", args=[draft.pk])
    decision = between(html, 'aria-labelledby="decision-heading"', "</section>")
    assert f'id="download-notice" href="{notice}"' in decision
    assert html.index("download-notice") < html.index('id="history-heading"')
    # The notice is final (received 40 days ago): "request the money", with the action.
    text = next_step(html)
    assert "Rufen Sie die Mittel ab" in text
    box = between(html, 'id="next-step"', "</section>")
    assert f'href="{reverse("payments:new", args=[draft.pk])}"' in box


def test_an_approval_before_the_notice_is_final_names_the_day(client, draft, provider):
    item = approved_with_notice(draft, conditions="")
    AgendaItem.objects.filter(pk=item.pk).update(notified_on=day(-3))
    html = page(client, provider, draft)
    assert 'id="conditions"' not in html
    text = next_step(html)
    assert "Sie können die Mittel ab" in text
    assert f'href="{reverse("payments:new", args=[draft.pk])}"' not in between(
        html, 'id="next-step"', "</section>"
    )


def test_report_due_says_submit_the_usage_report_by_its_due_date(client, provider, organisation):
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        start_date=day(-200),
        end_date=day(-10),
    )
    force_state_with_approval(application, "report_due")
    due = due_date(application.end_date, application.fund.proof_of_use_months)
    html = page(client, provider, application)
    text = next_step(html)
    assert f"Reichen Sie den Verwendungsnachweis bis {short(due)} ein" in text
    assert f"Frist: {short(due)}" in text
    assert 'href="#usage-report-heading"' in between(html, 'id="next-step"', "</section>")


def test_staff_see_the_same_order_with_the_applicants_next_step(
    client, submitted, provider, office
):
    make_round(submitted.fiscal_year, 1, 10, 20, RoundState.OPEN)
    html = page(client, office, submitted)
    assert html.index('id="summary"') < html.index('id="next-step"') < html.index("check-heading")
    assert "Ihr nächster Schritt" not in html
    assert "Nächster Schritt" in between(html, 'id="next-step"', "</section>")


def test_a_rejection_has_nothing_more_to_do(client, draft, provider):
    force_state(draft, "rejected")
    assert "Es ist nichts mehr zu tun" in next_step(page(client, provider, draft))


# --- the existing rule: another organisation's provider learns nothing ------------------------
@pytest.mark.parametrize("state", ["draft", "submitted", "approved"])
def test_another_organisations_provider_gets_404(client, draft, other_provider, state):
    if state == "approved":
        approved_with_notice(draft)
    else:
        force_state(draft, state)
    client.force_login(other_provider)
    response = client.get(reverse("applications:detail", args=[draft.pk]))
    assert response.status_code == 404
    assert draft.title.encode() not in response.content


def test_the_list_shows_cards_with_the_state_and_an_empty_state_that_says_what_next(
    client, draft, provider, other_provider
):
    client.force_login(provider)
    html = client.get(reverse("applications:mine")).content.decode()
    card = between(html, f'id="application-{draft.pk}"', "</li>")
    assert f'href="{reverse("applications:detail", args=[draft.pk])}"' in card
    assert "state-draft" in card
    assert "<table" not in html
    assert Application.objects.filter(organisation=draft.organisation).count() == 1

    client.force_login(other_provider)
    html = client.get(reverse("applications:mine")).content.decode()
    assert 'id="no-applications"' in html
    assert "Stellen Sie Ihren ersten Antrag" in html
    assert draft.title not in html
