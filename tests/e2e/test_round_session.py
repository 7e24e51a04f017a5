"""A session of the steering group run from the browser: the chair and three members, each in
their own browser context, on the demo data of ``make demo``; then the provider's notice.

The setup goes through the services: ten eligible applications of the current year (one of
the Caritas organisation, to which the member ``lenkung2`` belongs, one of ``traeger``'s
Soforthilfe Herne e.V.) on the agenda of a new round whose submissions are closed. In the
browser the chair (``vorsitz``) opens the session, sets the proposals and defers one item;
``lenkung1``, ``lenkung2``, ``lenkung3`` and the chair vote on their voting pages (fetch, no
reload), the chair's session page follows the count by itself; the chair closes the session.
One item is rejected, one deferred, the other eight approved with one commitment each.

Selectors use ids, names, hrefs, data- attributes and CSS classes, not visible text: the UI
strings are English msgids with a German translation that may or may not be compiled.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from fund_manager.applications import services as applications
from fund_manager.applications.content import CostLine
from fund_manager.applications.models import Application, State
from fund_manager.demo.data import PASSWORD
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.rounds import services as rounds
from fund_manager.rounds.models import (
    AgendaItem,
    Attendance,
    FundingRound,
    ItemState,
    Recusal,
    RoundState,
    SteeringMember,
    Vote,
)
from tests.e2e.conftest import LOCALE, TIMEOUT_MS, VIEWPORT, force_login, login
from tests.e2e.test_accessibility import AXE_OPTIONS, BLOCKING, _report
from workflows import rounds as round_use_cases
from workflows import services as use_cases

# The live count is polled every 3 s (voting.js): give it two rounds and some slack.
LIVE_MS = 8_000
REQUESTED = Decimal("2200.00")  # 1.800,00 + 400,00, no own funds

# username of the provider, title, action field; the index is the agenda position - 1.
PROJECTS = [
    ("traeger", "Nachbarschaftslotsen", "ankommen"),
    ("caritas", "Patenschaften im Quartier", "ankommen"),
    ("traeger2", "Vereinsschnuppertage", "teilhabe"),
    ("vhs", "Sprachtreff am Abend", "sprache-beruf"),
    ("kosoe", "Elternlotsen Südosteuropa", "kinder-jugend-familie"),
    ("initiative", "Umzugshilfe für Familien", "wohnen"),
    ("fbkjf", "Ferienspiele im Park", "kinder-jugend-familie"),
    ("drk", "Erste Hilfe für Eltern", "netzwerk"),
    ("einewelt", "Weltküche im Stadtteil", "teilhabe"),
    ("traeger", "Begleitung zu Behörden", "netzwerk"),
]
NOTICE, RECUSAL, REJECTED, DEFERRED = 0, 1, 2, 3  # indexes into PROJECTS
# The chair's proposals (all at most the requested 2.200,00 €) for the approved items.
PROPOSALS = {
    0: Decimal("1234.56"),
    1: Decimal("2200.00"),
    4: Decimal("1500.00"),
    5: Decimal("2000.00"),
    6: Decimal("1999.99"),
    7: Decimal("800.00"),
    8: Decimal("2100.50"),
    9: Decimal("1000.00"),
}
VOTERS = ["vorsitz", "lenkung1", "lenkung2", "lenkung3"]  # lenkung4 stays away


def _choices(index, username):
    """The final vote of ``username`` on item ``index`` (None: does not vote)."""
    if index == DEFERRED:
        return None
    if index == RECUSAL and username == "lenkung2":
        return None  # recused
    if index == REJECTED:
        return "yes" if username == "lenkung2" else "no"  # 1 yes, 3 no
    if index == 4 and username == "lenkung2":
        return "abstain"
    return "yes"


def _german(amount):
    """1234.56 -> "1.234,56" (the input format of the money fields)."""
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _eligible(demo, username, title, field):
    """A complete application, submitted by its provider and found eligible by the office."""
    provider = demo.users[username]
    start = timezone.localdate() + datetime.timedelta(days=40)
    application = applications.create_application(
        by=provider,
        organisation=provider.memberships.first().organisation,
        fiscal_year=demo.year_now,
        data={
            "title": title,
            "summary": f"{title}: ein Angebot für neu zugewanderte Menschen in Herne.",
            "project_kind": Application.ProjectKind.MODEL,
            "approach": (
                "Neuer Zugang über Vertrauenspersonen aus den Communities; die Strukturen "
                "bleiben nach Projektende in der Regelarbeit erhalten."
            ),
            "action_field": demo.fields[field],
            "location": "Herne",
            "start_date": start,
            "end_date": start + datetime.timedelta(days=90),
            "own_funds": Decimal("0.00"),
            "third_party_funds": Decimal("0.00"),
            "declares_not_otherwise_financeable": True,
            "declares_not_started": True,
            "declares_new_approach": True,
            "declares_sustainable": True,
        },
        cost_items=[
            CostLine("personnel", "Honorare", Decimal("1800.00")),
            CostLine("material", "Sachkosten", Decimal("400.00")),
        ],
        target_groups=[demo.groups["bleibeperspektive-gesichert"]],
    )
    application = use_cases.submit_application(application=application, by=provider)
    demo.check(application, "eligible", "")
    application.refresh_from_db()
    # Eligible, and put on the agenda of an open round by the workflow if there is one.
    assert application.state in (State.ELIGIBLE, State.SCHEDULED)
    assert application.requested_amount == REQUESTED
    return application


def closed_round(demo, projects=PROJECTS):
    """A new round of the current year with exactly ``projects`` on its agenda, in this order,
    and its submissions closed (state "closed").

    The demo may have rounds of this year already (one waiting for its session, one open):
    ours comes after them, with the next number and its deadline after their sessions, so that
    the dates do not overlap. It is opened before the applications are checked. The workflow
    puts an application found eligible on the agenda of the first open round whose deadline it
    met, which may be an earlier round of the demo: the project office then moves it to ours;
    one left waiting is put on ours by hand.
    """
    office = demo.users["projektbuero"]
    year = demo.year_now
    today = timezone.localdate()
    earlier = list(FundingRound.objects.filter(fiscal_year=year))
    deadline = max([today] + [r.session_date + datetime.timedelta(days=1) for r in earlier])
    # The demo's seats (since 2017) are valid on the session day: five members, one chair.
    seats = SteeringMember.objects.filter(group__fund=year.fund, votes=True, since__lte=deadline)
    assert sorted(seats.values_list("user__username", flat=True)) == sorted(
        ["vorsitz", "lenkung1", "lenkung2", "lenkung3", "lenkung4"]
    )
    assert list(seats.filter(is_chair=True).values_list("user__username", flat=True)) == ["vorsitz"]
    funding_round = rounds.plan_round(
        fiscal_year=year,
        number=max([r.number for r in earlier], default=0) + 1,
        submission_deadline=deadline,
        session_date=deadline,
        by=office,
    )
    funding_round = rounds.open_round(funding_round=funding_round, by=office)
    assert funding_round.items.count() == 0, "the demo has eligible applications waiting"

    submitted, items = [], []
    for project in projects:
        application = _eligible(demo, *project)
        item = AgendaItem.objects.filter(application=application).first()
        if item is None:
            item = rounds.add_to_agenda(
                funding_round=funding_round, application=application, by=office
            )
        elif item.round_id != funding_round.pk:
            item = rounds.move_to_round(item=item, target_round=funding_round, by=office)
        submitted.append(application)
        items.append(item)
    funding_round = round_use_cases.close_submissions(funding_round=funding_round, by=office)
    assert funding_round.state == RoundState.CLOSED
    agenda = list(funding_round.items.order_by("position").values_list("pk", "position"))
    assert agenda == [(item.pk, index) for index, item in enumerate(items, start=1)]
    for item in items:
        item.refresh_from_db()

    # Enough money: every action field has more available than all its requests together.
    wanted = {}
    for application in submitted:
        field_id = application.action_field_id
        wanted[field_id] = wanted.get(field_id, Decimal("0.00")) + application.requested_amount
    for field_id, amount in wanted.items():
        account = Account.objects.get(
            fiscal_year=year, kind=AccountKind.AVAILABLE, action_field_id=field_id
        )
        assert account.balance >= amount
    return funding_round, submitted, items


def meet_on_the_session_day(request, funding_round):
    """A session opens on its scheduled day only (issue 9, defect 4): the server's clock
    moves to that morning (ticking) for the rest of the test. Our round comes after the demo's
    rounds of this year, so its day may lie a few weeks ahead."""
    morning = timezone.make_aware(
        datetime.datetime.combine(funding_round.session_date, datetime.time(9))
    )
    traveller = time_machine.travel(morning, tick=True)
    traveller.start()
    request.addfinalizer(traveller.stop)


@pytest.fixture
def people(browser, live_server):
    """``open_as(user)``: a page in a new context of its own, logged in as ``user``.

    Every context is closed at teardown; JavaScript errors in any page fail the test.
    """
    contexts, js_errors = [], []

    def open_as(user):
        context = browser.new_context(locale=LOCALE, viewport=VIEWPORT, base_url=live_server.url)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        new_page = context.new_page()
        new_page.on("pageerror", lambda error: js_errors.append(f"{user}: {error}"))
        force_login(new_page, live_server, user)
        return new_page

    try:
        yield open_as
    finally:
        for context in contexts:
            context.close()
    if js_errors:
        pytest.fail("JavaScript errors in the pages:\n" + "\n".join(js_errors))


def _count(page, item, name):
    return page.locator(f'[data-tally-item="{item.pk}"] [data-field="{name}"]')


def _vote(page, item, choice):
    """Click a vote button; the page posts it with fetch and marks the button from the answer."""
    form = page.locator(f'form.vote-form[data-item="{item.pk}"]')
    form.locator(f'button[name=choice][value="{choice}"]').click()
    expect(form.locator(f'button[name=choice][value="{choice}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(form.locator('button[name=choice][aria-pressed="true"]')).to_have_count(1)
    expect(form.locator('[data-field="status"]')).not_to_be_empty()


def _no_reload_since_marker(page):
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def test_a_session_run_from_the_browser(request, page, people, live_server, demo):
    funding_round, submitted, items = closed_round(demo)
    meet_on_the_session_day(request, funding_round)
    pk = funding_round.pk
    session_url = f"/rounds/{pk}/session/"
    vote_url = f"/rounds/{pk}/vote/"
    recused_item, rejected_item, deferred_item = items[RECUSAL], items[REJECTED], items[DEFERRED]

    # --- The chair opens the session (confirmation page, then POST) ----------------------------
    chair = people(demo.users["vorsitz"])
    chair.goto(session_url)
    expect(chair.locator("main .state.state-closed")).to_have_count(1)
    chair.locator(f"main a[href='/rounds/{pk}/session/open/']").click()
    chair.wait_for_url(f"**/rounds/{pk}/session/open/")
    # The chair records who is present: the voters; lenkung4 stays away.
    for username in VOTERS:
        box = chair.locator(f"main input[name=present][value='{demo.users[username].pk}']")
        box.check()
    chair.locator("main form[method=post] button[type=submit]").click()
    chair.wait_for_url(f"**{session_url}")
    expect(chair.locator("main .fm-messages .kern-alert--success")).to_have_count(1)
    expect(chair.locator("main .state.state-in_session")).to_have_count(1)
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.IN_SESSION
    assert timezone.localdate(funding_round.opened_at) == funding_round.session_date
    present = Attendance.objects.filter(round=funding_round, left_at__isnull=True)
    assert sorted(present.values_list("member__username", flat=True)) == sorted(VOTERS)
    # lenkung2 belongs to the Caritas organisation: recused from its item, and only there.
    recusals = Recusal.objects.filter(item__round=funding_round)
    assert [(r.item_id, r.member.username) for r in recusals] == [(recused_item.pk, "lenkung2")]
    expect(chair.locator("#live-tally section.agenda-item")).to_have_count(len(items))

    # --- Proposals (German amounts) and one deferral, each a form of the session page ---------
    for index, amount in PROPOSALS.items():
        item = items[index]
        form = chair.locator(f"form[action='/rounds/{pk}/items/{item.pk}/proposal/']")
        form.locator(f"#id_item-{item.pk}-amount").fill(_german(amount))
        form.locator("button[type=submit]").click()
        chair.wait_for_url(f"**{session_url}#item-{item.pk}")
        expect(chair.locator("main .fm-messages .kern-alert--success")).to_have_count(1)
    proposed = dict(
        AgendaItem.objects.filter(round=funding_round).values_list("pk", "proposed_amount")
    )
    assert proposed == {item.pk: PROPOSALS.get(index) for index, item in enumerate(items)}, (
        "the proposals were not saved as entered"
    )

    defer_href = f"/rounds/{pk}/items/{deferred_item.pk}/defer/"
    chair.locator(f"#item-{deferred_item.pk} a[href='{defer_href}']").click()
    chair.wait_for_url(f"**{defer_href}")
    chair.locator("main form[method=post] button[type=submit]").click()
    chair.wait_for_url(f"**{session_url}#item-{deferred_item.pk}")
    expect(chair.locator("main .fm-messages .kern-alert--success")).to_have_count(1)
    expect(chair.locator(f"#item-{deferred_item.pk} .state.state-deferred")).to_have_count(1)
    expect(chair.locator(f"#item-{deferred_item.pk} a[href='{defer_href}']")).to_have_count(0)
    deferred_item.refresh_from_db()
    assert deferred_item.deferral_requested

    # From here on the chair's session page is not reloaded: the counts must come by themselves.
    chair.evaluate("window.__marker = 1")
    for item in items:
        for name in ("yes", "no", "abstain"):
            expect(_count(chair, item, name)).to_have_text("0")

    # --- Three members, each in their own context, on their voting pages ------------------------
    members = {}
    for username in ("lenkung1", "lenkung2", "lenkung3"):
        member = people(demo.users[username])
        member.goto(vote_url)
        expect(member.locator("main .state.state-in_session")).to_have_count(1)
        members[username] = member
    # The recused member has no buttons on the Caritas item, but on every other one.
    recused_page = members["lenkung2"]
    recused_section = recused_page.locator(f"#item-{recused_item.pk}")
    expect(recused_section.locator(".kern-alert--warning")).to_have_count(1)
    expect(recused_section.locator("button[name=choice]")).to_have_count(0)
    expect(recused_page.locator("form.vote-form")).to_have_count(len(items) - 1)
    expect(members["lenkung1"].locator("form.vote-form")).to_have_count(len(items))
    for other in items:
        if other.pk != recused_item.pk:
            expect(
                recused_page.locator(f'form.vote-form[data-item="{other.pk}"] button[name=choice]')
            ).to_have_count(3)

    first = items[0]
    # One vote: the chair's page shows it without a reload.
    _vote(members["lenkung1"], first, "yes")
    expect(_count(chair, first, "yes")).to_have_text("1", timeout=LIVE_MS)
    _no_reload_since_marker(chair)
    # Another member votes no, then changes the vote to yes: the counts follow everywhere.
    lenkung3 = members["lenkung3"]
    _vote(lenkung3, first, "no")
    expect(_count(lenkung3, first, "no")).to_have_text("1")
    expect(_count(chair, first, "no")).to_have_text("1", timeout=LIVE_MS)
    expect(_count(chair, first, "yes")).to_have_text("1")
    _vote(lenkung3, first, "yes")
    expect(
        lenkung3.locator(f'form.vote-form[data-item="{first.pk}"] [value=no]')
    ).to_have_attribute("aria-pressed", "false")
    expect(_count(lenkung3, first, "no")).to_have_text("0")
    expect(_count(lenkung3, first, "yes")).to_have_text("2")
    expect(_count(chair, first, "no")).to_have_text("0", timeout=LIVE_MS)
    expect(_count(chair, first, "yes")).to_have_text("2", timeout=LIVE_MS)
    # lenkung1's page, also not reloaded, follows the other member's change by polling.
    expect(_count(members["lenkung1"], first, "yes")).to_have_text("2", timeout=LIVE_MS)
    _no_reload_since_marker(chair)
    assert list(
        Vote.objects.filter(item=first, member=demo.users["lenkung3"]).values_list(
            "choice", flat=True
        )
    ) == ["yes"]

    # The chair votes too, on its own voting page (a second tab of the chair's context).
    chair_votes = chair.context.new_page()
    chair_errors = []
    chair_votes.on("pageerror", lambda error: chair_errors.append(str(error)))
    chair_votes.goto(vote_url)
    members["vorsitz"] = chair_votes
    done = {(first.pk, "lenkung1"), (first.pk, "lenkung3")}
    for index, item in enumerate(items):
        for username in VOTERS:
            choice = _choices(index, username)
            if choice is None or (item.pk, username) in done:
                continue
            _vote(members[username], item, choice)

    # Every count arrives on the chair's session page, still without a reload (the page in
    # front: voting.js does not poll while the page is hidden).
    chair.bring_to_front()
    for index, item in enumerate(items):
        final = [_choices(index, username) for username in VOTERS]
        for name in ("yes", "no", "abstain"):
            expect(_count(chair, item, name)).to_have_text(str(final.count(name)), timeout=LIVE_MS)
    _no_reload_since_marker(chair)
    assert not chair_errors, chair_errors
    assert Vote.objects.filter(item__round=funding_round).count() == sum(
        _choices(index, username) is not None for index in range(len(items)) for username in VOTERS
    )

    # --- The chair closes the session: outcomes and funds check, then confirm ------------------
    close_href = f"/rounds/{pk}/session/close/"
    chair.locator(f"main a[href='{close_href}']").click()
    chair.wait_for_url(f"**{close_href}")
    expect(chair.locator("#outcomes tbody tr")).to_have_count(len(items))
    expect(chair.locator("#funds-check tbody tr th[scope=row]")).to_have_count(
        len({submitted[index].action_field_id for index in PROPOSALS})
    )
    expect(chair.locator("main .warning-text")).to_have_count(0)  # no shortfall, no gap
    expect(chair.locator("#shortfalls")).to_have_count(0)
    chair.locator("main form[method=post] button[name=confirm]").click()
    chair.wait_for_url(f"**{session_url}")
    expect(chair.locator("main .fm-messages .kern-alert--success")).to_have_count(1)
    expect(chair.locator("main .fm-messages .kern-alert--danger")).to_have_count(0)
    expect(chair.locator("main .state.state-decided")).to_have_count(1)
    expect(chair.locator("main form[action$='/proposal/']")).to_have_count(0)

    # --- What is on record ------------------------------------------------------------------------
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.DECIDED
    expected = {}
    for index, application in enumerate(submitted):
        if index == REJECTED:
            expected[application.pk] = (State.REJECTED, ItemState.REJECTED)
        elif index == DEFERRED:
            expected[application.pk] = (State.DEFERRED, ItemState.DEFERRED)
        else:
            expected[application.pk] = (State.APPROVED, ItemState.APPROVED)
    found = {
        item.application_id: (item.application.state, item.state)
        for item in AgendaItem.objects.filter(round=funding_round).select_related("application")
    }
    assert found == expected
    rejected_item.refresh_from_db()
    assert (rejected_item.outcome["yes"], rejected_item.outcome["no"]) == (1, 3)
    commitments = Transfer.objects.filter(
        fiscal_year=demo.year_now, kind=TransferKind.COMMITMENT
    ).order_by("application_id")
    assert sorted((t.application_id, t.amount) for t in commitments) == sorted(
        (submitted[index].pk, amount) for index, amount in PROPOSALS.items()
    )
    for index, amount in PROPOSALS.items():
        application = Application.objects.get(pk=submitted[index].pk)
        assert application.approved_amount == amount
        committed = Account.objects.get(kind=AccountKind.COMMITTED, application=application)
        assert committed.balance == amount
    for index in (REJECTED, DEFERRED):
        assert not Transfer.objects.filter(application=submitted[index]).exists()
        assert Application.objects.get(pk=submitted[index].pk).approved_amount is None

    # The voting pages notice the end of the session by themselves (reload): no buttons left.
    for username, member in members.items():
        expect(member.locator("button[name=choice]")).to_have_count(0, timeout=LIVE_MS)
        expect(member.locator("main .state.state-decided")).to_have_count(1)
        assert member.locator("form.vote-form").count() == 0, username
    # Opened afresh, too.
    members["lenkung1"].goto(vote_url)
    expect(members["lenkung1"].locator("main .state.state-decided")).to_have_count(1)
    expect(members["lenkung1"].locator("button[name=choice]")).to_have_count(0)
    expect(members["lenkung1"].locator("#live-tally[data-tally-url]")).to_have_count(0)

    # --- The chair signs the minutes: decided -> minuted, the chair's last task is done ---------
    chair.goto(f"{live_server.url}/rounds/{funding_round.pk}/session/")
    chair.locator("#sign-minutes").click()
    chair.wait_for_url(f"**/rounds/{funding_round.pk}/minutes/sign/")
    chair.fill("#id_minute_taker", "Paula Projektbüro")
    chair.locator("#confirm-sign").click()
    chair.wait_for_url(f"**/rounds/{funding_round.pk}/session/")
    expect(chair.locator("main .state.state-minuted")).to_have_count(1)
    funding_round.refresh_from_db()
    assert (funding_round.state, funding_round.minute_taker) == (
        RoundState.MINUTED,
        "Paula Projektbüro",
    )
    assert funding_round.process.status == "DONE"

    # --- The provider downloads the notice of its approved application --------------------------
    application = submitted[NOTICE]
    notice_href = f"/notices/{application.pk}.pdf"
    login(page, live_server, "traeger", PASSWORD)
    page.goto(f"{live_server.url}/applications/{application.pk}/")
    expect(page.locator("main .state.state-approved")).to_have_count(1)
    link = page.locator(f"section[aria-labelledby=decision-heading] a[href='{notice_href}']")
    expect(link).to_have_count(1)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.url == f"{live_server.url}{notice_href}"

    # Another provider does not even learn that the notice exists.
    other = people(demo.users["traeger2"])
    response = other.request.get(f"{live_server.url}{notice_href}")
    assert response.status == 404
    # ... while its own rejected application has a notice of its own.
    rejected = submitted[REJECTED]
    assert rejected.organisation == demo.users["traeger2"].memberships.first().organisation
    own = other.request.get(f"{live_server.url}/notices/{rejected.pk}.pdf")
    assert own.status == 200
    assert own.body().startswith(b"%PDF")
    # The deferred application has no decision yet, hence no notice.
    deferred = submitted[DEFERRED]
    vhs = people(demo.users["vhs"])
    assert vhs.request.get(f"{live_server.url}/notices/{deferred.pk}.pdf").status == 404


# --- accessibility ------------------------------------------------------------------------------
def _axe(page, name, problems):
    """Run axe on the page as it is; collect the blocking violations under ``name``."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    others = [v for v in violations if v["impact"] not in BLOCKING]
    if others:
        print(f"{name} ({page.url}): violations below 'serious':\n{_report(others)}")
    if blocking:
        problems.append(f"{name} ({page.url}):\n{_report(blocking)}")


def test_the_round_pages_have_no_serious_accessibility_violation(
    request, people, live_server, demo
):
    """axe (WCAG 2.1 AA) on the round pages, each in the state and for the person meant."""
    funding_round, _submitted, items = closed_round(demo, PROJECTS[:4])
    meet_on_the_session_day(request, funding_round)
    pk = funding_round.pk
    problems = []

    def check(page, name, path, shows):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 200, f"{name}: HTTP {response.status}"
        expect(page.locator(shows).first).to_be_attached()
        _axe(page, name, problems)

    office = people(demo.users["projektbuero"])
    check(office, "rounds-list", "/rounds/", f"main a[href='/rounds/{pk}/']")
    check(office, "round-agenda", f"/rounds/{pk}/", "main .state.state-closed")

    chair = people(demo.users["vorsitz"])
    check(
        chair,
        "session-closed",
        f"/rounds/{pk}/session/",
        f"main a[href='/rounds/{pk}/session/open/']",
    )
    check(
        chair,
        "open-session-confirmation",
        f"/rounds/{pk}/session/open/",
        "main form[method=post] button[type=submit]",
    )

    # In session, with a proposal, a deferral and some votes, as the chair and members see it.
    vorsitz = demo.users["vorsitz"]
    present = [demo.users[username].pk for username in VOTERS]
    round_use_cases.open_session(funding_round=funding_round, by=vorsitz, present=present)
    rounds.set_proposal(item=items[0], amount=Decimal("1234.56"), conditions="", by=vorsitz)
    rounds.defer_item(item=items[DEFERRED], by=vorsitz)
    for username in VOTERS:
        rounds.cast_vote(item=items[0], choice="yes", by=demo.users[username])
    rounds.cast_vote(item=items[REJECTED], choice="no", by=demo.users["lenkung1"])
    check(chair, "session-in-session", f"/rounds/{pk}/session/", "main form[action$='/proposal/']")
    member = people(demo.users["lenkung2"])
    check(
        member,
        "vote-in-session",
        f"/rounds/{pk}/vote/",
        f"#item-{items[RECUSAL].pk} .kern-alert--warning",
    )
    expect(member.locator("form.vote-form button[name=choice]").first).to_be_visible()
    check(
        chair,
        "close-session-confirmation",
        f"/rounds/{pk}/session/close/",
        "main form[method=post] button[name=confirm]",
    )

    # After closing (the items without a quorum are decided by votes cast through the services).
    for index in (RECUSAL, REJECTED):
        for username in VOTERS:
            if index == RECUSAL and username == "lenkung2":
                continue
            choice = "yes" if index == RECUSAL else "no"
            rounds.cast_vote(item=items[index], choice=choice, by=demo.users[username])
    rounds.set_proposal(item=items[RECUSAL], amount=Decimal("2000.00"), conditions="", by=vorsitz)
    round_use_cases.close_session(funding_round=funding_round, by=vorsitz)
    assert FundingRound.objects.get(pk=pk).state == RoundState.DECIDED
    check(member, "vote-after-closing", f"/rounds/{pk}/vote/", "main .state.state-decided")
    expect(member.locator("button[name=choice]")).to_have_count(0)

    assert not problems, "serious or critical WCAG 2.1 AA violations:\n" + "\n".join(problems)
