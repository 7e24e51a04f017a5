"""The demo data decides through the same use case as everyone: with the assessments of the
rules that need a human judgement (fund_manager/demo/seeder.py ``Seeder.check``)."""

import importlib

import pytest
from django.apps import apps

from fund_manager.applications.models import RuleAssessment
from fund_manager.core.models import AuditEntry


@pytest.fixture
def seeded(db, roles):
    """The whole demo. The base rates first: a transactional test module that ran before may
    have flushed what the data migrations put in (the role groups: ``roles``)."""
    from fund_manager.demo.seeder import Seeder

    importlib.import_module("fund_manager.settlement.migrations.0002_base_rates").add_rates(
        apps, None
    )
    Seeder(out=lambda *args: None).run()


def test_every_eligible_decision_of_the_demo_has_its_assessment(seeded):
    eligible = AuditEntry.objects.filter(action="application.marked_eligible")
    assert eligible.count() >= 6
    for entry in eligible:
        rows = RuleAssessment.objects.filter(application_id=entry.object_id, decision="eligible")
        assert [(row.rule, row.met) for row in rows] == [("new_approach", True)], entry.object_id
        assert all(row.reason for row in rows)
        assessed = AuditEntry.objects.filter(
            action="application.rules_assessed", object_id=entry.object_id
        )
        assert [e.data["decision"] for e in assessed] == ["eligible"]

    refused = RuleAssessment.objects.filter(decision="ineligible")
    assert [(row.rule, row.met, bool(row.reason)) for row in refused] == [
        ("new_approach", False, True)
    ]
