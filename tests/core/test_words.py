"""Issue 12, item 3: words a person understands. No model path, code or raw dictionary on a
page; findings name action fields and target groups by their German names; the audit trail
reads as sentences with names; the glossary exists and the German catalogue follows it; the
demo fund is named after the council report."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from fund_manager.applications import eligibility
from fund_manager.applications.models import Application, GuidelineCheck, State
from fund_manager.core.audit import log_action
from fund_manager.core.audit_text import describe
from fund_manager.demo.seeder import Seeder
from fund_manager.rounds.models import ItemState
from policies.findings import Facts
from policies.rules import RULES
from tests.factories import ApplicationFactory, OrganisationFactory, provider_user, user_with_role
from workflows import services as use_cases

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "fund_manager" / "locale" / "de" / "LC_MESSAGES" / "django.po"
MODEL_PATH = re.compile(r"\b[a-z_]+\.[A-Z][A-Za-z]+\.[a-z_]+\b")
DEMO_CODES = ("teilhabe", "bleibeperspektive-gesichert", "suedosteuropa")
# What the old audit page showed: a dictionary, a code in brackets, "<model> <id>".
RAW = re.compile(r"[{}]|'\w+':|\(\w+\.\w+\)")


# --- the demo fund ---------------------------------------------------------------------------
@pytest.fixture
def demo(db):
    """The demo's fund, years, action fields and target groups (its reference data only)."""
    seeder = Seeder(out=lambda *args: None)
    seeder.reference_data()
    return seeder


def test_the_demo_fund_is_named_after_the_council_report(demo):
    assert demo.fund.name == "Integration von Neuzugewanderten"
    assert str(demo.year_2017) == "Integration von Neuzugewanderten 2017"


# --- findings --------------------------------------------------------------------------------
@pytest.fixture
def demo_like(demo):
    organisation = OrganisationFactory()
    applicant = provider_user(organisation)
    application = ApplicationFactory(
        fiscal_year=demo.year_now,
        organisation=organisation,
        created_by=applicant,
        action_field=demo.fields["teilhabe"],
        target_groups=[demo.groups["bleibeperspektive-gesichert"], demo.groups["suedosteuropa"]],
    )
    return application, applicant


def _messages(findings):
    return {
        finding["rule"] if isinstance(finding, dict) else finding.rule: (
            finding["message"] if isinstance(finding, dict) else finding.message
        )
        for finding in findings
    }


def test_findings_name_the_action_field_and_target_groups_by_their_german_names(demo_like):
    application, _applicant = demo_like

    guideline, findings = eligibility.precheck(application)

    assert guideline is not None
    messages = _messages(findings)
    assert "„Gesellschaftliche Teilhabe“" in messages["action_field"]
    assert (
        "„Geflüchtete mit (wahrscheinlich) gesicherter Bleibeperspektive“"
        in (messages["target_groups"])
    )
    assert "„Neuzugewanderte aus Südosteuropa (EU)“" in messages["target_groups"]
    for message in messages.values():
        for code in DEMO_CODES:
            assert f"„{code}“" not in message, message
            assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", message), message


def test_the_stored_findings_of_a_submission_are_german_text_without_codes(demo_like):
    application, applicant = demo_like

    use_cases.submit_application(application=application, by=applicant)

    check = GuidelineCheck.objects.get(application=application)
    messages = _messages(check.findings)
    assert "Gesellschaftliche Teilhabe" in messages["action_field"]
    assert "teilhabe“" not in " ".join(messages.values())
    assert "bleibeperspektive-gesichert" not in " ".join(messages.values())
    # The names used are kept with the facts, as evidence of what the check read.
    assert check.facts["names"]["teilhabe"] == "Gesellschaftliche Teilhabe"


def test_a_rule_names_an_unknown_action_field_by_its_name_and_without_names_by_its_code():
    facts = {
        "organisation_kind": "initiative",
        "action_field_code": "sport",
        "valid_action_field_codes": frozenset({"teilhabe"}),
        "target_group_codes": ("gruppe-x",),
        "valid_target_group_codes": frozenset({"suedosteuropa"}),
        "project_kind": "model",
        "declares_not_otherwise_financeable": True,
        "declares_new_approach": True,
        "declares_sustainable": True,
        "approach_text": "Neu.",
        "start_date": datetime.date(2031, 6, 1),
        "end_date": datetime.date(2031, 12, 31),
        "submitted_on": datetime.date(2031, 5, 1),
        "fiscal_year": 2031,
        "total_costs": Decimal("100.00"),
        "own_funds": Decimal("0.00"),
        "third_party_funds": Decimal("0.00"),
        "requested_amount": Decimal("100.00"),
        "cost_item_count": 1,
    }
    named = Facts(**facts, names={"sport": "Sport und Bewegung", "gruppe-x": "Gruppe X"})
    bare = Facts(**facts)

    assert (
        "„Sport und Bewegung“ ist kein Handlungsfeld"
        in RULES["action_field"].check(named, {}).message
    )
    assert "„Gruppe X“" in RULES["target_groups"].check(named, {}).message
    assert "„sport“ ist kein Handlungsfeld" in RULES["action_field"].check(bare, {}).message


# --- the audit trail as sentences ------------------------------------------------------------
@pytest.fixture
def people(db):
    return {
        "office": user_with_role("project_office", first_name="Paula", last_name="Projektbüro"),
        "chair": user_with_role("chair", first_name="Volker", last_name="Vorsitz"),
        "auditor": user_with_role("auditor", first_name="Petra", last_name="Prüfung"),
    }


@pytest.fixture
def application(db):
    application = ApplicationFactory()
    Application.objects.filter(pk=application.pk).update(reference="VF-2017-0001")
    application.refresh_from_db()
    return application


def sentence(entry):
    with translation.override("de"):
        return describe(entry)


def test_an_audit_entry_reads_as_a_sentence_with_the_name_and_the_reference(people, application):
    entry = log_action(
        obj=application,
        action="application.marked_eligible",
        by=people["office"],
        data={"note": "Voraussetzungen erfüllt.", "from": "in_review", "to": "eligible"},
    )

    text = sentence(entry)

    assert text.sentence == (
        "Paula Projektbüro hat den Antrag VF-2017-0001 als förderfähig eingestuft."
    )
    assert ("Vermerk", "Voraussetzungen erfüllt.") in text.key_values
    # All the data, labelled, for auditors: states by their German names.
    assert ("Von", "In Prüfung") in text.data
    assert ("Nach", "Förderfähig") in text.data


@pytest.mark.parametrize(
    ("action", "data", "expected", "key_values"),
    [
        (
            "application.scheduled",
            {"round": "2026/1", "position": 3},
            "Paula Projektbüro hat den Antrag VF-2017-0001 auf die Tagesordnung der "
            "Förderrunde 2026/1 gesetzt.",
            [],
        ),
        (
            "application.notice_notified",
            {"notified_on": "2017-09-24", "via": "post", "round": "2017/4", "previous": None},
            "Paula Projektbüro hat erfasst, dass der Bescheid zum Antrag VF-2017-0001 am "
            "24.09.2017 zugegangen ist.",
            [],
        ),
        (
            "application.partially_revoked",
            {"revocation": 2, "before": "4980.00", "after": "4300.00", "last_day": "2019-03-01"},
            "Paula Projektbüro hat die Zuwendung zum Antrag VF-2017-0001 teilweise widerrufen.",
            [("Betrag vorher", "4.980,00\u00a0€"), ("Betrag nachher", "4.300,00\u00a0€")],
        ),
        (
            "application.refund_claimed",
            {"amount": "680.00", "action_field": "teilhabe", "claim": 2, "origin": "report"},
            "Paula Projektbüro hat zum Antrag VF-2017-0001 680,00\u00a0€ zurückgefordert.",
            [],
        ),
        (
            "application.changes_requested",
            {"note": "Bitte den Kostenplan aufschlüsseln.", "from": "in_review"},
            "Paula Projektbüro hat zum Antrag VF-2017-0001 Änderungen angefordert.",
            [("Vermerk", "Bitte den Kostenplan aufschlüsseln.")],
        ),
    ],
)
def test_audit_sentences_of_several_actions(
    demo, people, application, action, data, expected, key_values
):
    entry = log_action(obj=application, action=action, by=people["office"], data=data)

    text = sentence(entry)

    assert text.sentence == expected
    assert text.key_values == key_values
    shown = " ".join([text.sentence, *(f"{k}: {v}" for k, v in text.key_values + text.data)])
    assert not RAW.search(shown), shown
    for code in ("in_review", "teilhabe", "post", "report", "revocation", "claim"):
        assert not re.search(rf"(?<![\w-]){code}(?![\w-])", shown), (code, shown)
    assert f"Antrag {application.pk}" not in shown


def test_an_entry_without_a_person_names_the_system_and_a_deleted_draft_by_its_title(
    application,
):
    entry = log_action(
        obj=application, action="application.draft_deleted", by=None, data={"title": "Fest"}
    )
    application.delete()

    text = sentence(entry)

    assert text.sentence == "Das System hat den Entwurf „Fest“ gelöscht."


def test_the_steering_groups_decision_names_the_round_and_the_outcome_explanation(
    people, application
):
    entry = log_action(
        obj=application,
        action="application.deferred",
        by=people["chair"],
        data={
            "round": "2017/3",
            "outcome": {"result": "deferred", "yes": 0, "explanation": "Vertagt: Grund."},
        },
    )

    text = sentence(entry)

    assert text.sentence == (
        "Die Lenkungsgruppe hat den Antrag VF-2017-0001 in der Förderrunde 2017/3 vertagt "
        "(erfasst von Volker Vorsitz)."
    )
    assert ("Ergebnis", "Vertagt: Grund.") in text.key_values
    result = dict(text.data)["Ergebnis"]
    assert "Ergebnis: vertagt" in result
    assert "{" not in result


def test_an_unknown_action_gets_a_generic_sentence_without_its_code(people, application):
    entry = log_action(obj=application, action="application.something_new", by=people["office"])

    text = sentence(entry)

    assert text.sentence.endswith("VF-2017-0001 (Paula Projektbüro).")


def test_the_audit_page_shows_sentences_and_folds_the_data(client, people, application):
    log_action(
        obj=application,
        action="application.marked_eligible",
        by=people["office"],
        data={"note": "Voraussetzungen erfüllt.", "from": "in_review", "to": "eligible"},
    )
    client.force_login(people["auditor"])

    page = client.get("/reports/audit-trail/?area=application.").content.decode()

    text = re.sub(r"<[^>]+>", " ", page)
    assert "Paula Projektbüro hat den Antrag VF-2017-0001 als förderfähig eingestuft." in text
    assert '<details class="fm-fold' in page
    assert "{&#x27;" not in page
    assert "{'" not in page
    assert "(application.marked_eligible)" not in text
    assert "in_review" not in text
    assert f"Antrag {application.pk}<" not in page


# --- glossary and catalogue ------------------------------------------------------------------
def _catalogue():
    """(msgid, msgstr) of every entry of the German catalogue (plural forms joined)."""
    entries = []
    for block in PO.read_text().split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        fields, current = {"msgid": "", "msgstr": ""}, None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = (
                    "msgid"
                    if match.group(1) == "msgid"
                    else ("msgstr" if match.group(1).startswith("msgstr") else None)
                )
                if current:
                    fields[current] += match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields["msgid"]:
            entries.append((fields["msgid"], fields["msgstr"]))
    return entries


def test_the_glossary_exists_with_a_table_per_area():
    text = (ROOT / "docs" / "glossary.md").read_text()
    for area in ("application", "Round", "Money and ledger", "Payments and settlement", "Roles"):
        assert area in text
    assert text.count("| German | English | Meaning |") >= 5
    for term in ("Vertagt", "Abgleich", "Förderrunde", "Antragsteller", "Mittelabruf"):
        assert term in text


def test_the_catalogue_follows_the_glossary():
    entries = _catalogue()
    assert len(entries) > 1000
    for msgid, msgstr in entries:
        # deferred is "Vertagt", never "Zurückgestellt" or a "Verschoben" of a deferral.
        assert "zurückgestellt" not in msgstr.lower(), msgid
        if "defer" in msgid.lower():
            assert "verschoben" not in msgstr.lower(), msgid
        # the round's number is not a booking number.
        if "Buchungsnummer" in msgstr:
            assert "ooking" in msgid, msgid
        # reconciliation is "Abgleich"; "Abstimmung" is only the vote.
        if "Abstimmung" in msgstr:
            assert "vot" in msgid.lower(), msgid
        for word in ("Exportlauf", "Finanzbuchhaltung", "Finanzabteilung"):
            assert word not in msgstr, (word, msgid)
        # formal address: no informal "du"/"dein" in a German text.
        assert not re.search(r"\b(du|dein|deine|dich|dir)\b", msgstr), msgid


def test_key_terms_translate_as_the_glossary_says():
    with translation.override("de"):
        assert str(State.DEFERRED.label) == "Vertagt"
        assert str(ItemState.DEFERRED.label) == "Vertagt"
        assert translation.gettext("Reconciliation") == "Abgleich"
        assert translation.gettext("Number") == "Nummer"
        assert translation.gettext("Number of the funding round") == "Nummer der Förderrunde"
        assert translation.gettext("Applicant") == "Antragsteller"
        assert translation.gettext("Guideline check") == "Richtlinienprüfung"
        assert translation.gettext("Payment request") == "Mittelabruf"


# --- the application form --------------------------------------------------------------------
def test_the_application_form_page_shows_no_model_path_or_code(client, demo):
    organisation = OrganisationFactory()
    applicant = provider_user(organisation)
    client.force_login(applicant)

    page = client.get("/applications/new/").content.decode()

    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", main.split(">", 1)[1])
    assert not MODEL_PATH.search(text), MODEL_PATH.search(text)
    assert "Gesellschaftliche Teilhabe" in text
    assert "Geflüchtete mit (wahrscheinlich) gesicherter Bleibeperspektive" in text
    for code in DEMO_CODES:
        assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text), code
