"""POST /applications/{id}/review/ with ``assessments``: the rules that need a human judgement
(``new_approach``) are assessed through the API as on the check page; no decision skips them."""

import pytest
from viewflow.workflow.status import STATUS

from fund_manager.applications.models import Application, RuleAssessment, State
from fund_manager.core.models import AuditEntry
from policies import rules
from tests.workflows.helpers import MET_REASON
from workflows import services as workflow_services


def url(application, action):
    return f"/api/v1/applications/{application.pk}/{action}/"


def post(client, application, body):
    return client.post(url(application, "review"), body, format="json")


def met(reason=MET_REASON):
    return {"rule": "new_approach", "met": True, "reason": reason}


def state_of(application):
    """What a refused review must leave as it was."""
    task = workflow_services.open_task(application)
    return {
        "state": Application.objects.get(pk=application.pk).state,
        "assessments": RuleAssessment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "task": (task.status, task.owner_id) if task else None,
    }


# --- refused: nothing changes ----------------------------------------------------------------
@pytest.mark.parametrize("assessments", [None, []], ids=["missing", "empty"])
def test_eligible_without_the_assessment_is_refused(api, office, submitted, assessments):
    before = state_of(submitted)
    body = {"outcome": "eligible", "note": ""}
    if assessments is not None:
        body["assessments"] = assessments

    response = post(api(office), submitted, body)

    assert response.status_code == 400, response.json()
    assert response.json() == {
        "assessments": {"new_approach": {"met": [str(rules.NOT_ASSESSED_MET)]}}
    }
    assert "Beurteilen Sie diese Voraussetzung als erfüllt" in str(response.json())
    assert state_of(submitted) == before
    assert before["task"] == (STATUS.NEW, None)  # not even taken


def test_eligible_with_the_rule_not_met_is_refused(api, office, submitted):
    before = state_of(submitted)

    response = post(
        api(office),
        submitted,
        {
            "outcome": "eligible",
            "assessments": [{"rule": "new_approach", "met": False, "reason": "Nicht neu."}],
        },
    )

    assert response.status_code == 400
    assert set(response.json()["assessments"]["new_approach"]) == {"met"}
    assert state_of(submitted) == before


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize(
    ("outcome", "note"),
    [("ineligible", "Kein neuer Ansatz."), ("changes_requested", "Bitte Zeitplan ergänzen.")],
)
def test_not_met_needs_a_reason(api, office, submitted, outcome, note, reason):
    before = state_of(submitted)

    response = post(
        api(office),
        submitted,
        {
            "outcome": outcome,
            "note": note,
            "assessments": [{"rule": "new_approach", "met": False, "reason": reason}],
        },
    )

    assert response.status_code == 400, response.json()
    assert response.json() == {
        "assessments": {"new_approach": {"reason": [str(rules.REASON_NOT_MET)]}}
    }
    assert state_of(submitted) == before


def test_ineligible_needs_a_requirement_not_met(api, office, submitted):
    """The check found every rule met: "ineligible" needs the judgement rule not met."""
    before = state_of(submitted)

    response = post(
        api(office),
        submitted,
        {"outcome": "ineligible", "note": "Passt nicht.", "assessments": [met()]},
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [str(rules.NOTHING_NOT_MET)]}
    assert state_of(submitted) == before


@pytest.mark.parametrize(
    ("assessments", "expected"),
    [
        (
            [{"rule": "amount_range", "met": True}],
            [
                {
                    "rule": [
                        "„amount_range“ ist keine Voraussetzung, die das Projektbüro bei "
                        "diesem Antrag beurteilt."
                    ]
                }
            ],
        ),
        (
            [met(), {"rule": "erfunden", "met": True}],
            [
                {},
                {
                    "rule": [
                        "„erfunden“ ist keine Voraussetzung, die das Projektbüro bei "
                        "diesem Antrag beurteilt."
                    ]
                },
            ],
        ),
        (
            [met(), met()],
            [{}, {"rule": ["Die Voraussetzung „new_approach“ ist mehr als einmal beurteilt."]}],
        ),
    ],
    ids=["not-a-judgement-rule", "unknown", "duplicate"],
)
def test_unknown_or_repeated_rules_are_a_400(api, office, submitted, assessments, expected):
    before = state_of(submitted)

    response = post(api(office), submitted, {"outcome": "eligible", "assessments": assessments})

    assert response.status_code == 400, response.json()
    assert response.json() == {"assessments": expected}
    assert state_of(submitted) == before


STRICT = "Bitte geben Sie true (erfüllt) oder false (nicht erfüllt) an."


@pytest.mark.parametrize(
    ("assessments", "where"),
    [
        ([{"rule": "new_approach", "met": "true"}], "met"),
        ([{"rule": "new_approach", "met": 1}], "met"),
        ([{"rule": "new_approach", "met": None}], "met"),
        ([{"rule": "new_approach"}], "met"),
        ([{"met": True}], "rule"),
        ([{"rule": ["new_approach"], "met": True}], "rule"),
        ([{"rule": "new_approach", "met": True, "reason": ["Neu."]}], "reason"),
        ("new_approach", None),
        ({"new_approach": True}, None),
        (["new_approach"], None),
    ],
)
def test_wrong_types_are_a_400(api, office, submitted, assessments, where):
    before = state_of(submitted)

    response = post(api(office), submitted, {"outcome": "eligible", "assessments": assessments})

    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"assessments"}
    if where is not None:
        assert where in body["assessments"][0], body
    if where == "met" and assessments[0].get("met") is not None:
        assert body["assessments"][0]["met"] == [STRICT]
    assert state_of(submitted) == before


def test_a_provider_learns_nothing_from_bad_assessments(api, provider, submitted):
    response = post(api(provider), submitted, {"outcome": "eligible", "assessments": "x"})

    assert response.status_code == 403


# --- accepted: the rows and the history ------------------------------------------------------
def test_eligible_with_the_assessment_stores_it(api, office, provider, submitted):
    audit_before = AuditEntry.objects.count()

    response = post(
        api(office),
        submitted,
        {"outcome": "eligible", "note": "", "assessments": [met("  Neuer Ansatz.  ")]},
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.ELIGIBLE
    row = RuleAssessment.objects.get(application=submitted)
    check = submitted.guideline_checks.latest("id")
    assert (row.rule, row.met, row.reason, row.decision) == (
        "new_approach",
        True,
        "Neuer Ansatz.",
        "eligible",
    )
    assert row.guideline_check == check
    assert row.assessed_by == office
    entry = AuditEntry.objects.get(action="application.rules_assessed")
    assert entry.data["decision"] == "eligible"
    assert entry.data["assessments"] == [
        {
            "rule": "new_approach",
            "title": rules.RULES["new_approach"].title,
            "met": True,
            "reason": "Neuer Ansatz.",
        }
    ]
    # review_started, rules_assessed, marked_eligible (and what the round adds).
    assert AuditEntry.objects.count() >= audit_before + 3

    # The eligibility answer shows the recorded assessment to the office and the applicant.
    for user in (office, provider):
        body = api(user).get(url(submitted, "eligibility")).json()
        assert [
            (a["rule"], a["met"], a["reason"], a["decision"], a["guideline_check"])
            for a in body["assessments"]
        ] == [("new_approach", True, "Neuer Ansatz.", "eligible", check.pk)]
        assert "assessed_by" not in body["assessments"][0]


def test_ineligible_with_the_rule_not_met_stores_the_reason(api, office, submitted):
    response = post(
        api(office),
        submitted,
        {
            "outcome": "ineligible",
            "note": "Kein neuer Ansatz.",
            "assessments": [{"rule": "new_approach", "met": False, "reason": "Gibt es schon."}],
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.INELIGIBLE
    row = RuleAssessment.objects.get(application=submitted)
    assert (row.met, row.reason, row.decision) == (False, "Gibt es schon.", "ineligible")


def test_changes_requested_needs_no_assessment(api, office, submitted):
    response = post(
        api(office), submitted, {"outcome": "changes_requested", "note": "Bitte Zeitplan."}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.CHANGES_REQUESTED
    assert not RuleAssessment.objects.exists()


def test_a_draft_shows_no_assessments(api, provider, draft):
    body = api(provider).get(url(draft, "eligibility")).json()

    assert body["assessments"] == []


def test_the_schema_describes_the_assessments(api, db):
    schema = api().get("/api/schema/", {"format": "json"}).json()
    review = schema["components"]["schemas"]["ReviewRequest"]

    assert "assessments" in review["properties"]
    assert "assessments" not in review.get("required", [])
