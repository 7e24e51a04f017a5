"""The documents of a round that is not decided (yet): no notice, no minutes, no e-mail.

Moved from test_documents.py, whose ``decided`` round is built once for that whole module
(issue 9, defect 19): these tests need round 1 of ``setting`` still undecided.
"""

import pytest
from django.core import mail

from fund_manager.rounds import documents, notifications, services
from fund_manager.rounds.models import ItemState, RoundState
from tests.factories import provider_user
from tests.rounds.test_documents import minutes_url, notice_url
from tests.rounds.test_session import eligible_application, in_session
from workflows import rounds as round_use_cases

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.rounds.test_documents")]


def test_a_pending_item_has_no_notice(setting):
    (item,) = in_session(setting, eligible_application(setting))
    assert documents.latest_decided_item(item.application) is None
    with pytest.raises(ValueError, match="not decided"):
        documents.notice_html(item)


def test_minutes_of_an_unknown_or_undecided_round_are_not_found(client, setting):
    client.force_login(setting["office"])
    in_session(setting, eligible_application(setting))
    setting["round"].refresh_from_db()
    assert setting["round"].state == RoundState.IN_SESSION
    assert client.get(minutes_url(setting["round"])).status_code == 404
    assert client.get("/rounds/999999/minutes.pdf").status_code == 404


def test_an_undecided_application_has_no_notice_to_download(client, setting):
    application = eligible_application(setting)
    client.force_login(provider_user(application.organisation))
    assert client.get(notice_url(application)).status_code == 404


def test_a_deferred_item_sends_no_mail(setting, django_capture_on_commit_callbacks):
    (item,) = in_session(setting, eligible_application(setting))
    services.defer_item(item=item, by=setting["chair"])
    round_use_cases.close_session(funding_round=setting["round"], by=setting["chair"])
    item.refresh_from_db()
    assert item.state == ItemState.DEFERRED
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.decided(item)
    assert mail.outbox == []
