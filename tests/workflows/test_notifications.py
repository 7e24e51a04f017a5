"""E-mails of the eligibility check: to the applicant on every decision, to the project office on
a resubmission; sent only once the transaction has committed."""

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.organisations.models import Membership
from tests.factories import UserFactory, provider_user, user_with_role
from workflows import services as process

from .helpers import assessments_for, claim, decide, office_member_of, open_check

pytestmark = pytest.mark.django_db

ORG_MAIL = "info@traeger.example"


@pytest.fixture
def applicant(organisation, provider):
    """The applicant organisation with an e-mail address, a second provider member, an inactive
    one, a member without an address and a member who is not a provider."""
    organisation.email = ORG_MAIL
    organisation.save()
    colleague = provider_user(organisation)
    inactive = provider_user(organisation)
    inactive.is_active = False
    inactive.save()
    provider_user(organisation, email="")
    office_member_of(organisation)
    provider_user()  # a provider of another organisation
    return {"expected": sorted([provider.email, colleague.email, ORG_MAIL])}


@pytest.fixture
def run_callbacks(django_capture_on_commit_callbacks):
    """Run what the code under test registers with transaction.on_commit, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def detail_url(application):
    return settings.FM_SITE_URL.rstrip("/") + reverse("applications:detail", args=[application.pk])


def assert_german(text, english):
    """The mail is rendered in the site's language: it has the German translation of
    ``english`` and not the English original. A msgid without a German translation fails (the
    German catalogue is incomplete or not compiled: ``make compilemessages``)."""
    with translation.override("de"):
        german = translation.gettext(english)
    assert german != english, f"no German translation of {english!r}"
    assert german in text
    assert english not in text


def test_defect_18_assert_german_fails_on_a_missing_translation_or_english_text():
    assert_german("Guten Tag,\nIhr Antrag …", "Good day,")
    with pytest.raises(AssertionError, match="no German translation"):
        assert_german("A text nobody translated", "A text nobody translated")
    with pytest.raises(AssertionError):
        assert_german("Good day,\nyour application …", "Good day,")
    with pytest.raises(AssertionError):
        assert_german("Guten Tag,\nGood day, …", "Good day,")


def assert_one_mail(mailoutbox, application, recipients):
    assert len(mailoutbox) == 1, [m.subject for m in mailoutbox]
    mail = mailoutbox[0]
    assert sorted(mail.to) == recipients
    assert application.reference in mail.subject
    assert "\n" not in mail.subject
    assert mail.body.strip()
    assert application.reference in mail.body
    assert detail_url(application) in mail.body
    assert mail.from_email == settings.DEFAULT_FROM_EMAIL
    return mail


# --- to the applicant -----------------------------------------------------------------------------
def test_changes_requested_mails_the_applicant_with_the_note(
    submitted, office, applicant, mailoutbox, run_callbacks
):
    note = "Bitte den Kostenplan nach Honorar- und Sachkosten aufschlüsseln."
    with run_callbacks():
        decide(submitted, office, "changes_requested", note)

    mail = assert_one_mail(mailoutbox, submitted, applicant["expected"])
    assert note in mail.body
    assert submitted.title in mail.body
    assert_german(mail.body, "Good day,")


def test_ineligible_mails_the_applicant_with_the_reasons(
    submitted, office, applicant, mailoutbox, run_callbacks
):
    reasons = "Fahrten ins Ausland sind nach den Förderrichtlinien nicht förderfähig."
    with run_callbacks():
        decide(submitted, office, "ineligible", reasons)

    mail = assert_one_mail(mailoutbox, submitted, applicant["expected"])
    assert reasons in mail.body
    assert_german(mail.body, "Kind regards")


@pytest.mark.parametrize("note", ["", "Die Fördervoraussetzungen sind erfüllt."])
def test_eligible_mails_the_applicant(
    submitted, office, applicant, mailoutbox, run_callbacks, note
):
    with run_callbacks():
        decide(submitted, office, "eligible", note)

    mail = assert_one_mail(mailoutbox, submitted, applicant["expected"])
    if note:
        assert note in mail.body


def test_markup_in_the_note_reaches_the_plain_text_mail_unescaped(
    submitted, office, applicant, mailoutbox, run_callbacks
):
    note = 'Bitte "Honorare" & <Material> trennen.'
    with run_callbacks():
        decide(submitted, office, "changes_requested", note)

    assert note in mailoutbox[0].body


def test_an_applicant_without_any_address_gets_no_mail(
    organisation, provider, submitted, office, mailoutbox, run_callbacks
):
    provider.email = ""
    provider.save()
    organisation.email = ""
    organisation.save()

    with run_callbacks():
        decide(submitted, office, "ineligible", "Nicht förderfähig.")

    assert mailoutbox == []


# --- to the project office ------------------------------------------------------------------------
def test_a_resubmission_mails_the_project_office(
    submitted, office, office2, provider, applicant, mailoutbox, run_callbacks
):
    inactive = user_with_role("project_office")
    inactive.is_active = False
    inactive.save()
    user_with_role("project_office", email="")
    user_with_role("finance")
    decide(submitted, office, "changes_requested", "Bitte ändern.")
    mailoutbox.clear()

    with run_callbacks():
        process.submit_application(application=submitted, by=provider)

    office_members = sorted(
        [office.email, office2.email]
        + [
            m.user.email
            for m in Membership.objects.filter(organisation=submitted.organisation)
            if m.user.groups.filter(name="project_office").exists()
        ]
    )
    mail = assert_one_mail(mailoutbox, submitted, office_members)
    assert ORG_MAIL not in mail.to
    assert provider.email not in mail.to


def test_the_first_submission_and_taking_the_task_send_nothing(
    draft, provider, office, applicant, mailoutbox, run_callbacks
):
    with run_callbacks():
        process.submit_application(application=draft, by=provider)
        task = claim(draft, office)
        process.release_check(task=task, by=office)

    assert mailoutbox == []


# --- only after commit ----------------------------------------------------------------------------
def test_the_mail_waits_for_the_commit(
    submitted, office, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(submitted, office, "eligible")
        assert mailoutbox == []

    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("outcome", "note"),
    [("eligible", ""), ("ineligible", "Nein."), ("changes_requested", "Bitte ändern.")],
)
def test_nothing_is_sent_when_the_transaction_rolls_back(
    submitted, office, applicant, mailoutbox, run_callbacks, outcome, note
):
    task = claim(submitted, office)

    class Abort(Exception):
        pass

    def decide_then_fail():
        with transaction.atomic():
            process.complete_check(
                task=task,
                by=office,
                outcome=outcome,
                note=note,
                assessments=assessments_for(outcome),
            )
            raise Abort

    with run_callbacks(), pytest.raises(Abort):
        decide_then_fail()

    assert mailoutbox == []
    submitted.refresh_from_db()
    assert submitted.state == "in_review"


def test_a_resubmission_that_rolls_back_sends_nothing(
    submitted, office, provider, applicant, mailoutbox, run_callbacks
):
    decide(submitted, office, "changes_requested", "Bitte ändern.")
    mailoutbox.clear()

    class Abort(Exception):
        pass

    def resubmit_then_fail():
        with transaction.atomic():
            process.submit_application(application=submitted, by=provider)
            raise Abort

    with run_callbacks(), pytest.raises(Abort):
        resubmit_then_fail()

    assert mailoutbox == []


def test_refused_decisions_send_nothing(
    submitted, office, office2, applicant, mailoutbox, run_callbacks
):
    task = claim(submitted, office)

    with run_callbacks():
        with pytest.raises(NotPermitted):
            process.complete_check(
                task=task, by=office2, outcome="eligible", assessments=assessments_for("eligible")
            )
        with pytest.raises(InvalidInput):
            process.complete_check(
                task=task,
                by=office,
                outcome="ineligible",
                note="",
                assessments=assessments_for("ineligible"),
            )
        with pytest.raises(InvalidInput):
            process.complete_check(task=task, by=office, outcome="changes_requested", note=" ")
        with pytest.raises(NotPermitted):
            process.complete_check(
                task=task, by=provider_user(submitted.organisation), outcome="eligible"
            )

    assert mailoutbox == []
    assert open_check(submitted).owner == office


def test_a_refused_decision_through_the_page_sends_nothing(
    client, submitted, office, applicant, mailoutbox, run_callbacks
):
    task = claim(submitted, office)
    client.force_login(office)

    with run_callbacks():
        response = client.post(
            reverse("workflows:check", args=[task.pk]), {"outcome": "ineligible", "note": ""}
        )

    assert response.status_code == 200
    assert mailoutbox == []


def test_one_mail_per_decision_over_two_rounds(
    submitted, office, provider, applicant, mailoutbox, run_callbacks
):
    with run_callbacks():
        decide(submitted, office, "changes_requested", "Runde 1: bitte ändern.")
    with run_callbacks():
        process.submit_application(application=submitted, by=provider)
    with run_callbacks():
        decide(submitted, office, "eligible")

    assert len(mailoutbox) == 3
    assert [sorted(m.to) == applicant["expected"] for m in mailoutbox] == [True, False, True]
    assert all(submitted.reference in m.subject for m in mailoutbox)
    assert len({m.subject for m in mailoutbox}) == 3


def test_a_user_without_role_is_no_recipient(
    submitted, office, applicant, mailoutbox, run_callbacks
):
    member = UserFactory()
    Membership.objects.create(organisation=submitted.organisation, user=member)

    with run_callbacks():
        decide(submitted, office, "eligible")

    assert member.email not in mailoutbox[0].to
