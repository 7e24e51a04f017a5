"""policies.voting: recusal, quorum, majority and the budget check, as decision tables."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.voting import (
    ABSTAIN,
    APPROVED,
    DEFERRED,
    GO_NRW,
    NO,
    NO_QUORUM,
    NOT_ENTITLED,
    RECUSED,
    REJECTED,
    VOTES,
    YES,
    ItemTally,
    Outcome,
    VotingRules,
    can_vote,
    decide,
    funding_shortfalls,
    is_recused,
)

NBSP = "\u00a0"


def tally(members=6, *, recused=(), yes=(), no=(), abstain=(), entitled=None):
    """Members 1..``members`` are entitled (unless ``entitled`` is given); votes by member id."""
    votes = dict.fromkeys(yes, YES) | dict.fromkeys(no, NO) | dict.fromkeys(abstain, ABSTAIN)
    if entitled is None:
        entitled = range(1, members + 1)
    return ItemTally(entitled=frozenset(entitled), recused=frozenset(recused), votes=votes)


def numbers(outcome: Outcome):
    return (
        outcome.result,
        (outcome.yes, outcome.no, outcome.abstain),
        outcome.eligible_voters,
        outcome.votes_cast,
        outcome.quorum_needed,
        outcome.quorum_met,
    )


# --- decide under GO NRW ----------------------------------------------------------------------
# Each row: the tally, deferred, then (result, (yes, no, abstain), eligible, cast, needed, met).
@pytest.mark.parametrize(
    ("item", "deferred", "expected"),
    [
        pytest.param(
            tally(yes=[1, 2, 3], no=[4]),
            False,
            (APPROVED, (3, 1, 0), 6, 4, 4, True),
            id="quorum-met-yes-wins",
        ),
        pytest.param(
            tally(yes=[1, 2, 3]),
            False,
            (NO_QUORUM, (3, 0, 0), 6, 3, 4, False),
            id="exactly-half-is-no-quorum",
        ),
        pytest.param(
            tally(yes=[1]),
            False,
            (NO_QUORUM, (1, 0, 0), 6, 1, 4, False),
            id="quorum-missed",
        ),
        pytest.param(
            tally(),
            False,
            (NO_QUORUM, (0, 0, 0), 6, 0, 4, False),
            id="nobody-voted",
        ),
        pytest.param(
            tally(5, yes=[1, 2], no=[3]),
            False,
            (APPROVED, (2, 1, 0), 5, 3, 3, True),
            id="odd-count-three-of-five-is-more-than-half",
        ),
        pytest.param(
            tally(5, yes=[1, 2]),
            False,
            (NO_QUORUM, (2, 0, 0), 5, 2, 3, False),
            id="odd-count-two-of-five-is-not",
        ),
        pytest.param(
            tally(yes=[1], no=[2, 3, 4]),
            False,
            (REJECTED, (1, 3, 0), 6, 4, 4, True),
            id="no-wins",
        ),
        pytest.param(
            tally(yes=[1, 2], no=[3, 4]),
            False,
            (REJECTED, (2, 2, 0), 6, 4, 4, True),
            id="tie-rejects",
        ),
        pytest.param(
            tally(yes=[1, 2], no=[3, 4], abstain=[5, 6]),
            False,
            (REJECTED, (2, 2, 2), 6, 6, 4, True),
            id="tie-with-abstentions-rejects",
        ),
        pytest.param(
            tally(abstain=[1, 2, 3, 4]),
            False,
            (REJECTED, (0, 0, 4), 6, 4, 4, True),
            id="all-abstain-rejects",
        ),
        pytest.param(
            tally(yes=[1], abstain=[2, 3, 4]),
            False,
            (APPROVED, (1, 0, 3), 6, 4, 4, True),
            id="abstentions-count-for-quorum-only",
        ),
        pytest.param(
            tally(yes=[1, 2, 3, 4, 5, 6]),
            False,
            (APPROVED, (6, 0, 0), 6, 6, 4, True),
            id="unanimous",
        ),
        pytest.param(
            tally(1, yes=[1]),
            False,
            (APPROVED, (1, 0, 0), 1, 1, 1, True),
            id="single-member",
        ),
        pytest.param(
            tally(recused=[5, 6], yes=[1, 2, 3]),
            False,
            (APPROVED, (3, 0, 0), 4, 3, 3, True),
            id="recused-members-reduce-the-quorum-base",
        ),
        pytest.param(
            tally(recused=[6], yes=[1, 2, 6], no=[3, 4]),
            False,
            (REJECTED, (2, 2, 0), 5, 4, 3, True),
            id="recused-members-vote-is-ignored",
        ),
        pytest.param(
            tally(recused=[4, 5, 6], yes=[1, 4, 5, 6]),
            False,
            (NO_QUORUM, (1, 0, 0), 3, 1, 2, False),
            id="recused-votes-do-not-make-the-quorum",
        ),
        pytest.param(
            tally(yes=[1, 2], no=[3, 4], abstain=[99]),
            False,
            (REJECTED, (2, 2, 0), 6, 4, 4, True),
            id="non-entitled-vote-is-ignored",
        ),
        pytest.param(
            tally(yes=[1, 2, 3], no=[4]),
            True,
            (DEFERRED, (3, 1, 0), 6, 4, 4, True),
            id="deferred-overrides-an-approval",
        ),
        pytest.param(
            tally(),
            True,
            (DEFERRED, (0, 0, 0), 6, 0, 4, False),
            id="deferred-overrides-no-quorum",
        ),
        pytest.param(
            tally(3, recused=[1, 2, 3], yes=[1, 2, 3]),
            False,
            (NO_QUORUM, (0, 0, 0), 0, 0, 1, False),
            id="everyone-recused",
        ),
        pytest.param(
            tally(0, yes=[1]),
            False,
            (NO_QUORUM, (0, 0, 0), 0, 0, 1, False),
            id="nobody-entitled",
        ),
    ],
)
def test_decide(item, deferred, expected):
    outcome = decide(item, GO_NRW, deferred=deferred)

    assert numbers(outcome) == expected


@pytest.mark.parametrize(
    ("item", "ignored"),
    [
        pytest.param(tally(yes=[1, 2, 3, 4]), {}, id="none"),
        pytest.param(tally(recused=[6], yes=[6]), {6: RECUSED}, id="recused"),
        pytest.param(tally(no=[99]), {99: NOT_ENTITLED}, id="not-entitled"),
        pytest.param(
            tally(recused=[2, 77], yes=[2], no=[77]),
            {2: RECUSED, 77: NOT_ENTITLED},
            id="recused-but-not-entitled-counts-as-not-entitled",
        ),
    ],
)
def test_ignored_votes_name_the_member_and_the_reason(item, ignored):
    outcome = decide(item)

    assert outcome.ignored_votes == ignored
    assert outcome.to_dict()["ignored_votes"] == [
        {"member": member, "reason": reason} for member, reason in ignored.items()
    ]


def test_recused_counts_only_entitled_members():
    assert decide(tally(recused=[5, 6, 77])).recused == 2


# --- other rules of procedure -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("rules", "item", "expected"),
    [
        pytest.param(
            VotingRules(quorum_strictly_more=False),
            tally(yes=[1, 2, 3]),
            (APPROVED, (3, 0, 0), 6, 3, 3, True),
            id="at-least-half-accepts-exactly-half",
        ),
        pytest.param(
            VotingRules(quorum_strictly_more=False),
            tally(5, yes=[1, 2]),
            (NO_QUORUM, (2, 0, 0), 5, 2, 3, False),
            id="at-least-half-of-five-is-three",
        ),
        pytest.param(
            VotingRules(quorum_share=Decimal("0.75")),
            tally(yes=[1, 2, 3, 4]),
            (NO_QUORUM, (4, 0, 0), 6, 4, 5, False),
            id="more-than-three-quarters-of-six-is-five",
        ),
        pytest.param(
            VotingRules(quorum_share=Decimal(0)),
            tally(yes=[1]),
            (APPROVED, (1, 0, 0), 6, 1, 1, True),
            id="more-than-none-is-one",
        ),
        pytest.param(
            VotingRules(abstentions_count_for_quorum=False),
            tally(yes=[1], abstain=[2, 3, 4]),
            (NO_QUORUM, (1, 0, 3), 6, 4, 4, False),
            id="abstentions-not-counted-for-quorum",
        ),
        pytest.param(
            VotingRules(abstentions_count_for_quorum=False),
            tally(yes=[1, 2, 3], no=[4], abstain=[5]),
            (APPROVED, (3, 1, 1), 6, 5, 4, True),
            id="abstentions-not-counted-but-yes-and-no-suffice",
        ),
        pytest.param(
            VotingRules(tie_rejects=False),
            tally(yes=[1, 2], no=[3, 4]),
            (APPROVED, (2, 2, 0), 6, 4, 4, True),
            id="tie-approves-by-own-rules",
        ),
        pytest.param(
            VotingRules(tie_rejects=False),
            tally(abstain=[1, 2, 3, 4]),
            (REJECTED, (0, 0, 4), 6, 4, 4, True),
            id="tie-approves-but-not-zero-to-zero",
        ),
    ],
)
def test_decide_under_other_rules(rules, item, expected):
    assert numbers(decide(item, rules)) == expected


def test_defaults_are_go_nrw():
    rules = VotingRules()

    assert rules == GO_NRW
    assert str(rules.quorum_share) == "0.5"
    assert rules.quorum_strictly_more is True
    assert rules.tie_rejects is True
    assert rules.abstentions_count_for_quorum is True
    assert "§ 31" in VotingRules.__doc__
    assert "§ 49" in VotingRules.__doc__
    assert "§ 50 Abs. 1" in VotingRules.__doc__


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        pytest.param({"quorum_share": 0.5}, TypeError, id="float"),
        pytest.param({"quorum_share": "0.5"}, TypeError, id="string"),
        pytest.param({"quorum_share": Decimal("NaN")}, TypeError, id="nan"),
        pytest.param({"quorum_share": Decimal("-0.01")}, ValueError, id="negative"),
        pytest.param({"quorum_share": Decimal("1.01")}, ValueError, id="over-one"),
        pytest.param({"quorum_share": Decimal(1)}, ValueError, id="more-than-all"),
    ],
)
def test_voting_rules_refuse_impossible_parameters(changes, error):
    with pytest.raises(error):
        VotingRules(**changes)


def test_everyone_may_be_required_when_not_strictly_more():
    rules = VotingRules(quorum_share=Decimal(1), quorum_strictly_more=False)

    assert rules.quorum_needed(6) == 6


def test_a_tally_refuses_unknown_vote_values():
    with pytest.raises(ValueError, match="ja"):
        ItemTally(entitled=frozenset({1}), votes={1: "ja"})


def test_a_tally_keeps_its_own_copy_of_the_votes():
    votes = {1: YES}
    item = ItemTally(entitled={1, 2}, votes=votes)
    votes[2] = YES

    assert decide(item).yes == 1
    assert isinstance(item.entitled, frozenset)


# --- explanations for the minutes -------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "deferred", "rules", "text"),
    [
        pytest.param(
            tally(yes=[1, 2], no=[3, 4]),
            False,
            GO_NRW,
            "Beschlussfähig: 4 von 6 stimmberechtigten Mitgliedern haben abgestimmt "
            "(erforderlich: mehr als die Hälfte, also mindestens 4). Ja 2, Nein 2, "
            "Enthaltung 0: Stimmengleichheit gilt als Ablehnung (§ 50 Abs. 1 GO NRW).",
            id="tie",
        ),
        pytest.param(
            tally(yes=[1, 2, 3], no=[4]),
            False,
            GO_NRW,
            "Beschlussfähig: 4 von 6 stimmberechtigten Mitgliedern haben abgestimmt "
            "(erforderlich: mehr als die Hälfte, also mindestens 4). Ja 3, Nein 1, "
            "Enthaltung 0: Die Mehrheit der abgegebenen Stimmen ist dafür; der Antrag ist "
            "angenommen (§ 50 Abs. 1 GO NRW).",
            id="approved",
        ),
        pytest.param(
            tally(yes=[1], no=[2, 3, 4]),
            False,
            GO_NRW,
            "Beschlussfähig: 4 von 6 stimmberechtigten Mitgliedern haben abgestimmt "
            "(erforderlich: mehr als die Hälfte, also mindestens 4). Ja 1, Nein 3, "
            "Enthaltung 0: Die Mehrheit der abgegebenen Stimmen ist nicht dafür; der Antrag "
            "ist abgelehnt (§ 50 Abs. 1 GO NRW).",
            id="rejected",
        ),
        pytest.param(
            tally(abstain=[1, 2, 3, 4]),
            False,
            GO_NRW,
            "Beschlussfähig: 4 von 6 stimmberechtigten Mitgliedern haben abgestimmt "
            "(erforderlich: mehr als die Hälfte, also mindestens 4). Ja 0, Nein 0, "
            "Enthaltung 4: Es gibt keine Ja-Stimme und damit keine Mehrheit; der Antrag ist "
            "abgelehnt (§ 50 Abs. 1 GO NRW).",
            id="all-abstain",
        ),
        pytest.param(
            tally(yes=[1, 2, 3]),
            False,
            GO_NRW,
            "Nicht beschlussfähig: 3 von 6 stimmberechtigten Mitgliedern haben abgestimmt "
            "(erforderlich: mehr als die Hälfte, also mindestens 4). Über den Antrag ist "
            "damit nicht entschieden.",
            id="no-quorum",
        ),
        pytest.param(
            tally(recused=[6], yes=[1, 2, 6], no=[3, 4, 99]),
            False,
            GO_NRW,
            "Beschlussfähig: 4 von 5 stimmberechtigten Mitgliedern haben abgestimmt "
            "(erforderlich: mehr als die Hälfte, also mindestens 3). 1 Mitglied ist befangen "
            "und zählt bei diesem Punkt nicht mit (§ 31 GO NRW). Ja 2, Nein 2, Enthaltung 0: "
            "Stimmengleichheit gilt als Ablehnung (§ 50 Abs. 1 GO NRW). Nicht gezählt: "
            "1 Stimme eines befangenen Mitglieds und 1 Stimme einer nicht stimmberechtigten "
            "Person.",
            id="recused-and-ignored",
        ),
        pytest.param(
            tally(2, recused=[2], yes=[1]),
            False,
            GO_NRW,
            "Beschlussfähig: 1 von 1 stimmberechtigten Mitglied hat abgestimmt (erforderlich: "
            "mehr als die Hälfte, also mindestens 1). 1 Mitglied ist befangen und zählt bei "
            "diesem Punkt nicht mit (§ 31 GO NRW). Ja 1, Nein 0, Enthaltung 0: Die Mehrheit "
            "der abgegebenen Stimmen ist dafür; der Antrag ist angenommen (§ 50 Abs. 1 GO NRW).",
            id="singular",
        ),
        pytest.param(
            tally(3, recused=[1, 2, 3], yes=[1, 2]),
            False,
            GO_NRW,
            "Nicht beschlussfähig: Alle 3 stimmberechtigten Mitglieder sind befangen "
            "(§ 31 GO NRW); niemand darf über diesen Punkt abstimmen. Nicht gezählt: "
            "2 Stimmen befangener Mitglieder.",
            id="everyone-recused",
        ),
        pytest.param(
            tally(1, recused=[1]),
            False,
            GO_NRW,
            "Nicht beschlussfähig: Das einzige stimmberechtigte Mitglied ist befangen "
            "(§ 31 GO NRW); niemand darf über diesen Punkt abstimmen.",
            id="the-only-member-recused",
        ),
        pytest.param(
            tally(0, no=[7, 8]),
            False,
            GO_NRW,
            "Nicht beschlussfähig: Für diesen Punkt ist kein Mitglied stimmberechtigt. "
            "Nicht gezählt: 2 Stimmen nicht stimmberechtigter Personen.",
            id="nobody-entitled",
        ),
        pytest.param(
            tally(yes=[1, 2, 3, 4]),
            True,
            GO_NRW,
            "Vertagt: Die Sitzungsleitung hat den Punkt auf die nächste Sitzung vertagt; "
            "in dieser Sitzung wird über ihn nicht entschieden.",
            id="deferred",
        ),
        pytest.param(
            tally(yes=[1], abstain=[2, 3, 4]),
            False,
            VotingRules(abstentions_count_for_quorum=False, quorum_share=Decimal("0.6")),
            f"Nicht beschlussfähig: 1 von 6 stimmberechtigten Mitgliedern hat mit Ja oder Nein "
            f"gestimmt (erforderlich: mehr als 60{NBSP}%, also mindestens 4; Enthaltungen zählen "
            "hier nicht mit). Über den Antrag ist damit nicht entschieden.",
            id="other-rules-named",
        ),
        pytest.param(
            tally(yes=[1, 2], no=[3, 4]),
            False,
            VotingRules(tie_rejects=False, quorum_strictly_more=False),
            "Beschlussfähig: 4 von 6 stimmberechtigten Mitgliedern haben abgestimmt "
            "(erforderlich: mindestens die Hälfte, also mindestens 3). Ja 2, Nein 2, "
            "Enthaltung 0: Stimmengleichheit gilt nach der Geschäftsordnung des Fonds als "
            "Annahme; der Antrag ist angenommen.",
            id="tie-approves-by-own-rules",
        ),
    ],
)
def test_explanation(item, deferred, rules, text):
    assert decide(item, rules, deferred=deferred).explanation == text


def test_outcome_to_dict_is_json_ready():
    outcome = decide(tally(recused=[6], yes=[1, 2, 3, 6]))

    data = json.loads(json.dumps(outcome.to_dict()))

    assert data["result"] == APPROVED
    assert (data["yes"], data["eligible_voters"], data["recused"]) == (3, 5, 1)
    assert data["ignored_votes"] == [{"member": 6, "reason": RECUSED}]
    assert data["explanation"] == outcome.explanation


def test_outcome_refuses_unknown_result():
    with pytest.raises(ValueError, match="passed"):
        Outcome(
            result="passed",
            yes=0,
            no=0,
            abstain=0,
            eligible_voters=0,
            recused=0,
            votes_cast=0,
            quorum_needed=1,
            quorum_met=False,
            explanation="",
        )


# --- who may vote -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("member", "expected"),
    [
        pytest.param(1, (True, None), id="entitled"),
        pytest.param(2, (False, RECUSED), id="recused"),
        pytest.param(99, (False, NOT_ENTITLED), id="not-entitled"),
        pytest.param(77, (False, NOT_ENTITLED), id="recused-but-not-entitled"),
    ],
)
def test_can_vote(member, expected):
    item = ItemTally(entitled=frozenset({1, 2, 3}), recused=frozenset({2, 77}))

    assert can_vote(member, item) == expected


@pytest.mark.parametrize(
    ("member_orgs", "applicant", "declared", "expected"),
    [
        pytest.param([10], 10, False, True, id="member-of-the-applicant"),
        pytest.param([7, 10, 12], 10, False, True, id="one-of-several-organisations"),
        pytest.param([7, 12], 10, False, False, id="other-organisations"),
        pytest.param([], 10, False, False, id="no-organisation"),
        pytest.param([], 10, True, True, id="declared-conflict"),
        pytest.param([10], 10, True, True, id="both"),
        pytest.param(iter([3, 10]), 10, False, True, id="any-iterable"),
        pytest.param([None], None, False, False, id="no-applicant-organisation"),
    ],
)
def test_is_recused(member_orgs, applicant, declared, expected):
    assert is_recused(member_orgs, applicant, declared) is expected


def test_is_recused_without_a_declaration():
    assert is_recused([10], 10) is True
    assert is_recused([11], 10) is False


# --- closing the session: the budget check ----------------------------------------------------
@pytest.mark.parametrize(
    ("approved", "available", "expected"),
    [
        pytest.param(
            {"wohnen": Decimal("5000.00")}, {"wohnen": Decimal("5000.00")}, {}, id="at-the-limit"
        ),
        pytest.param(
            {"wohnen": Decimal("5000.01")},
            {"wohnen": Decimal("5000.00")},
            {"wohnen": Decimal("0.01")},
            id="one-cent-over",
        ),
        pytest.param(
            {"wohnen": Decimal("4999.99")}, {"wohnen": Decimal("5000.00")}, {}, id="below"
        ),
        pytest.param(
            {
                "wohnen": Decimal("7500.00"),
                "teilhabe": Decimal("1000.00"),
                "ankommen": Decimal("300.50"),
            },
            {
                "wohnen": Decimal("5000.00"),
                "teilhabe": Decimal("1000.00"),
                "ankommen": Decimal("0.00"),
            },
            {"wohnen": Decimal("2500.00"), "ankommen": Decimal("300.50")},
            id="several-fields",
        ),
        pytest.param(
            {"netzwerk": Decimal("1200.00")},
            {"wohnen": Decimal("5000.00")},
            {"netzwerk": Decimal("1200.00")},
            id="field-missing-from-available",
        ),
        pytest.param(
            {"netzwerk": Decimal("0.00")}, {}, {}, id="nothing-approved-nothing-available"
        ),
        pytest.param(
            {"wohnen": Decimal("100.00")},
            {"wohnen": Decimal("-50.00")},
            {"wohnen": Decimal("150.00")},
            id="overdrawn-field",
        ),
        pytest.param(
            {"wohnen": Decimal("5000")},
            {"wohnen": Decimal("4999.9")},
            {"wohnen": Decimal("0.10")},
            id="unquantized-input",
        ),
        pytest.param({}, {"wohnen": Decimal("5000.00")}, {}, id="nothing-approved"),
    ],
)
def test_funding_shortfalls(approved, available, expected):
    shortfalls = funding_shortfalls(approved, available)

    assert shortfalls == expected
    # exactly cents, so the message shows "0,01 €" and never "0,0100 €"
    assert all(amount.as_tuple().exponent == -2 for amount in shortfalls.values())


def test_funding_shortfalls_refuse_floats():
    with pytest.raises(TypeError):
        funding_shortfalls({"wohnen": 5000.01}, {"wohnen": Decimal("5000.00")})


# --- properties -------------------------------------------------------------------------------
MEMBERS = st.integers(min_value=0, max_value=9)
TALLIES = st.builds(
    ItemTally,
    entitled=st.frozensets(MEMBERS),
    recused=st.frozensets(st.integers(min_value=0, max_value=12)),
    votes=st.dictionaries(st.integers(min_value=0, max_value=12), st.sampled_from(VOTES)),
)
RULES = st.builds(
    VotingRules,
    quorum_share=st.decimals(min_value=0, max_value=Decimal("0.99"), places=2),
    quorum_strictly_more=st.booleans(),
    tie_rejects=st.booleans(),
    abstentions_count_for_quorum=st.booleans(),
)


def check_counts(item: ItemTally, outcome: Outcome):
    eligible = item.entitled - item.recused
    assert outcome.yes + outcome.no + outcome.abstain == outcome.votes_cast
    assert outcome.votes_cast <= outcome.eligible_voters == len(eligible)
    assert set(outcome.ignored_votes) == set(item.votes) - eligible
    assert 1 <= outcome.quorum_needed <= max(len(eligible), 1)


@given(item=TALLIES, deferred=st.booleans())
def test_property_under_go_nrw(item, deferred):
    outcome = decide(item, GO_NRW, deferred=deferred)

    check_counts(item, outcome)
    if outcome.result == APPROVED:
        assert outcome.quorum_met
        assert outcome.yes > outcome.no
    assert (outcome.result == DEFERRED) is deferred
    if not deferred:
        assert (outcome.result == NO_QUORUM) is not outcome.quorum_met
        # more than half: twice the votes exceed the eligible voters
        assert outcome.quorum_met is (2 * outcome.votes_cast > outcome.eligible_voters > 0)
    assert outcome.explanation


@given(item=TALLIES, rules=RULES, deferred=st.booleans())
def test_property_under_any_rules(item, rules, deferred):
    outcome = decide(item, rules, deferred=deferred)

    check_counts(item, outcome)
    if outcome.result == APPROVED:
        assert outcome.quorum_met
        assert outcome.yes >= outcome.no
        assert outcome.yes > 0
    assert (outcome.result == DEFERRED) is deferred
    assert outcome.explanation
