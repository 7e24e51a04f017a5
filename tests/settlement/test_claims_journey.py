"""From the usage report to the last refund (issue 11, deliver 5/6/8): the office accepts a
report with less eligible than paid, decides the refund after the hearing (a revocation), the
claim is created (origin: the report's settlement), the grant waits in refund_due, finance
records the refund, the claim settles, the grant closes and its process ends."""

import datetime
from decimal import Decimal as D

import pytest
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.ledger.models import Transfer, TransferKind
from fund_manager.settlement.models import ClaimState, RefundClaim
from fund_manager.settlement.selectors import claims as claim_selectors
from tests.factories import user_with_role
from tests.settlement.claim_helpers import assert_clean
from tests.settlement.test_report_support import (
    TODAY,
    complete_report,
    grant_in_payment,
    payment,
)
from workflows import grants, refunds
from workflows import settlement as flows
from workflows.models import ApplicationProcess

pytestmark = pytest.mark.django_db


def test_from_the_accepted_report_to_the_closed_grant(provider, organisation, office):
    grant = grant_in_payment(provider, organisation, office=office)
    payment(grant, "1000.00")
    report = flows.submit_report(
        report=complete_report(grant, provider, ("700.00", "400.00")), by=provider
    )
    # Eligible 1,100.00 − own 300.00 = 800.00 < 1,000.00 paid: the hearing before the refund.
    _reviewed, _settlement, revocation = flows.review_report(
        report=report,
        by=office,
        outcome="accepted",
        eligible_costs=D("1100.00"),
        response_due=TODAY + datetime.timedelta(days=14),
    )
    grants.record_response(
        revocation=revocation, by=office, response="Einverstanden.", received_on=TODAY
    )
    grants.decide_revocation(revocation=revocation, by=office, reasons="Abrechnung.")
    grant.refresh_from_db()
    assert (grant.state, grant.approved_amount) == ("refund_due", D("800.00"))
    claim = RefundClaim.objects.get(application=grant)
    assert (claim.origin, claim.principal) == (RefundClaim.Origin.REPORT, D("200.00"))
    # The 200.00 never requested are released; nothing stays committed.
    release = Transfer.objects.get(application=grant, kind=TransferKind.RELEASE)
    assert release.amount == D("200.00")
    assert grants.open_commitment(grant) == D("0.00")
    assert_clean()

    owed = claim_selectors.outstanding(claim, claim.effective_on)
    result = refunds.record_refund(
        claim=claim,
        by=user_with_role("finance"),
        amount=owed.total,
        received_on=claim.effective_on,
        idempotency_key="journey",
    )
    assert result.settled
    claim.refresh_from_db()
    grant.refresh_from_db()
    assert (claim.state, grant.state) == (ClaimState.SETTLED, "closed")
    assert ApplicationProcess.objects.get(application=grant).status == PROCESS.DONE
    task = refunds.refund_process(claim).task_set.get(flow_task=refunds.RefundFlow.collect)
    assert task.status == STATUS.DONE
    assert_clean()
