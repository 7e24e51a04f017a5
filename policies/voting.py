"""Voting in a session of the steering group: recusal, quorum, majority and the budget check.

Pure: member ids, votes and amounts in, an outcome out (no model, no query, no clock). The
session service collects the tally of each agenda item, calls ``decide`` when the session is
closed and refuses to close while ``funding_shortfalls`` finds an action field without
enough money.

Explanations are plain German strings on purpose, as in ``policies.rules``: they go into the
minutes as the record of why an item was approved or rejected, with which numbers and under
which rule, so they must read exactly as they did on the day of the session.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from fund_manager.core.money import quantize

YES, NO, ABSTAIN = "yes", "no", "abstain"
VOTES = (YES, NO, ABSTAIN)

APPROVED, REJECTED, DEFERRED, NO_QUORUM = "approved", "rejected", "deferred", "no_quorum"
RESULTS = (APPROVED, REJECTED, DEFERRED, NO_QUORUM)

# Reasons why a member may not vote on an item (``can_vote``, ``Outcome.ignored_votes``).
NOT_ENTITLED, RECUSED = "not_entitled", "recused"

HALF = Decimal("0.5")

MemberId = Hashable


@dataclass(frozen=True, kw_only=True)
class VotingRules:
    """How a fund's steering group decides; the defaults follow the municipal code of North
    Rhine-Westphalia (Gemeindeordnung NRW, GO NRW), adapted to voting item by item:

    - recusal (Befangenheit, § 31 GO NRW): a member with a personal interest in an item, e.g.
      belonging to the applicant organisation, takes no part in it (``is_recused``);
    - quorum: the council is quorate when more than half of its statutory members are present
      (§ 49 Abs. 1 Satz 1 GO NRW). The fund counts, per item, the members who cast a vote
      (yes, no or abstain: an abstention proves presence) against the members entitled and
      not recused for that item, as the funding-rounds issue specifies;
    - majority: decisions are taken by the majority of votes cast, and a tie means the motion
      is rejected (§ 50 Abs. 1 GO NRW); abstentions count for the quorum only.

    ``tie_rejects=False`` is for a fund whose own rules of procedure deem a tie approved; a
    tie of 0 : 0 (everyone abstains) is still rejected there, as no one voted in favour.
    """

    quorum_share: Decimal = HALF
    quorum_strictly_more: bool = True
    tie_rejects: bool = True
    abstentions_count_for_quorum: bool = True

    def __post_init__(self):
        share = self.quorum_share
        if not isinstance(share, Decimal) or not share.is_finite():
            raise TypeError(f"quorum_share must be a finite Decimal, got {share!r}.")
        if not Decimal(0) <= share <= 1:
            raise ValueError(f"quorum_share must lie between 0 and 1, got {share}.")
        if self.quorum_strictly_more and share == 1:
            raise ValueError("A quorum of more than all members can never be reached.")

    def quorum_needed(self, eligible_voters: int) -> int:
        """The least number of votes that makes the item quorate; never less than one."""
        base = eligible_voters * self.quorum_share
        if self.quorum_strictly_more:
            needed = int(base.to_integral_value(rounding=ROUND_FLOOR)) + 1
        else:
            needed = int(base.to_integral_value(rounding=ROUND_CEILING))
        return max(needed, 1)


GO_NRW = VotingRules()


def is_recused(
    member_org_ids: Iterable[MemberId],
    applicant_org_id: MemberId | None,
    declared_conflict: bool = False,
) -> bool:
    """A member is recused (§ 31 GO NRW) if they belong to the applicant organisation or have
    declared a conflict of interest for the item."""
    if declared_conflict:
        return True
    return applicant_org_id is not None and applicant_org_id in set(member_org_ids)


@dataclass(frozen=True)
class ItemTally:
    """The votes on one agenda item: who is entitled to vote in the session, who is recused
    for this item, and what each member voted (``{member_id: "yes" | "no" | "abstain"}``)."""

    entitled: frozenset[MemberId]
    recused: frozenset[MemberId] = frozenset()
    votes: Mapping[MemberId, str] = field(default_factory=dict)

    def __post_init__(self):
        # Copies, so that a caller changing its own set or dict later cannot change the tally.
        object.__setattr__(self, "entitled", frozenset(self.entitled))
        object.__setattr__(self, "recused", frozenset(self.recused))
        object.__setattr__(self, "votes", dict(self.votes))
        unknown = {member: vote for member, vote in self.votes.items() if vote not in VOTES}
        if unknown:
            raise ValueError(f"Votes must be one of {VOTES}, got {unknown!r}.")

    @property
    def eligible(self) -> frozenset[MemberId]:
        """Who may vote on this item: the entitled members minus the recused ones."""
        return self.entitled - self.recused


def can_vote(member_id: MemberId, tally: ItemTally) -> tuple[bool, str | None]:
    """Whether ``member_id`` may vote on the item, and if not, why (``"not_entitled"`` before
    ``"recused"``)."""
    if member_id not in tally.entitled:
        return False, NOT_ENTITLED
    if member_id in tally.recused:
        return False, RECUSED
    return True, None


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """The result of one item and the numbers behind it, as they go into the minutes.

    ``votes_cast`` counts the valid votes only (yes + no + abstain of eligible voters); votes of
    recused or non-entitled members are listed in ``ignored_votes`` with the reason.
    ``recused`` is the number of entitled members recused for the item.
    """

    result: str
    yes: int
    no: int
    abstain: int
    eligible_voters: int
    recused: int
    votes_cast: int
    quorum_needed: int
    quorum_met: bool
    explanation: str
    ignored_votes: dict[MemberId, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.result not in RESULTS:
            raise ValueError(f"Unknown result {self.result!r}.")

    def to_dict(self) -> dict:
        """JSON-ready, for the minutes and the audit payload."""
        return {
            "result": self.result,
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "eligible_voters": self.eligible_voters,
            "recused": self.recused,
            "votes_cast": self.votes_cast,
            "quorum_needed": self.quorum_needed,
            "quorum_met": self.quorum_met,
            "explanation": self.explanation,
            "ignored_votes": [
                {"member": member, "reason": reason}
                for member, reason in self.ignored_votes.items()
            ],
        }


def decide(tally: ItemTally, rules: VotingRules = GO_NRW, *, deferred: bool = False) -> Outcome:
    """The outcome of one item: deferred if the chair deferred it; otherwise no quorum, or
    approved if yes > no (a tie rejects under GO NRW), counting eligible voters' votes only."""
    eligible = tally.eligible
    counts = dict.fromkeys(VOTES, 0)
    ignored: dict[MemberId, str] = {}
    for member, vote in tally.votes.items():
        allowed, reason = can_vote(member, tally)
        if allowed:
            counts[vote] += 1
        else:
            ignored[member] = reason
    yes, no, abstain = counts[YES], counts[NO], counts[ABSTAIN]
    votes_cast = yes + no + abstain
    counted = votes_cast if rules.abstentions_count_for_quorum else yes + no
    needed = rules.quorum_needed(len(eligible))
    quorum_met = bool(eligible) and counted >= needed
    recused = len(tally.entitled & tally.recused)

    if deferred:
        result = DEFERRED
    elif not quorum_met:
        result = NO_QUORUM
    elif yes > no or (yes == no and yes > 0 and not rules.tie_rejects):
        result = APPROVED
    else:
        result = REJECTED

    explanation = _explain(
        result,
        rules,
        yes=yes,
        no=no,
        abstain=abstain,
        entitled=len(tally.entitled),
        eligible=len(eligible),
        recused=recused,
        counted=counted,
        needed=needed,
        ignored=ignored,
    )
    return Outcome(
        result=result,
        yes=yes,
        no=no,
        abstain=abstain,
        eligible_voters=len(eligible),
        recused=recused,
        votes_cast=votes_cast,
        quorum_needed=needed,
        quorum_met=quorum_met,
        explanation=explanation,
        ignored_votes=ignored,
    )


def funding_shortfalls(
    approved_by_field: Mapping[str, Decimal], available_by_field: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Each action field whose approved total exceeds what is available, with the missing
    amount in cents (no commitment beyond what is available); a field without an available
    amount has nothing available. Approving exactly the available amount is fine."""
    shortfalls = {}
    for code, approved in approved_by_field.items():
        missing = quantize(approved) - quantize(available_by_field.get(code))
        if missing > 0:
            shortfalls[code] = quantize(missing)
    return shortfalls


# --- German explanations (fixed, see the module docstring) ------------------------------------
_MAJORITY = "§ 50 Abs. 1 GO NRW"
_RECUSAL = "§ 31 GO NRW"


def _members(count: int) -> str:
    return "1 Mitglied" if count == 1 else f"{count} Mitglieder"


def _share(share: Decimal) -> str:
    if share == HALF:
        return "die Hälfte"
    percent = (share * 100).quantize(Decimal("0.01")).normalize()
    return f"{percent:f}".replace(".", ",") + "\u00a0%"


def _quorum_sentence(rules: VotingRules, *, eligible: int, counted: int, needed: int) -> str:
    verdict = "Beschlussfähig" if eligible and counted >= needed else "Nicht beschlussfähig"
    base = (
        "1 stimmberechtigten Mitglied"
        if eligible == 1
        else f"{eligible} stimmberechtigten Mitgliedern"
    )
    verb = "hat" if counted == 1 else "haben"
    how = "abgestimmt" if rules.abstentions_count_for_quorum else "mit Ja oder Nein gestimmt"
    rule = "mehr als" if rules.quorum_strictly_more else "mindestens"
    note = "" if rules.abstentions_count_for_quorum else "; Enthaltungen zählen hier nicht mit"
    return (
        f"{verdict}: {counted} von {base} {verb} {how} (erforderlich: "
        f"{rule} {_share(rules.quorum_share)}, also mindestens {needed}{note})."
    )


def _majority_sentence(result: str, *, yes: int, no: int, abstain: int) -> str:
    counts = f"Ja {yes}, Nein {no}, Enthaltung {abstain}"
    if result == APPROVED and yes == no:
        return (
            f"{counts}: Stimmengleichheit gilt nach der Geschäftsordnung des Fonds als "
            "Annahme; der Antrag ist angenommen."
        )
    if result == APPROVED:
        return (
            f"{counts}: Die Mehrheit der abgegebenen Stimmen ist dafür; der Antrag ist "
            f"angenommen ({_MAJORITY})."
        )
    if yes == no == 0:
        return (
            f"{counts}: Es gibt keine Ja-Stimme und damit keine Mehrheit; der Antrag ist "
            f"abgelehnt ({_MAJORITY})."
        )
    if yes == no:
        return f"{counts}: Stimmengleichheit gilt als Ablehnung ({_MAJORITY})."
    return (
        f"{counts}: Die Mehrheit der abgegebenen Stimmen ist nicht dafür; der Antrag ist "
        f"abgelehnt ({_MAJORITY})."
    )


def _ignored_sentence(ignored: Mapping[MemberId, str]) -> str:
    recused = sum(reason == RECUSED for reason in ignored.values())
    outsiders = len(ignored) - recused
    parts = []
    if recused:
        parts.append(
            "1 Stimme eines befangenen Mitglieds"
            if recused == 1
            else f"{recused} Stimmen befangener Mitglieder"
        )
    if outsiders:
        parts.append(
            "1 Stimme einer nicht stimmberechtigten Person"
            if outsiders == 1
            else f"{outsiders} Stimmen nicht stimmberechtigter Personen"
        )
    return f"Nicht gezählt: {' und '.join(parts)}." if parts else ""


def _explain(
    result: str,
    rules: VotingRules,
    *,
    yes: int,
    no: int,
    abstain: int,
    entitled: int,
    eligible: int,
    recused: int,
    counted: int,
    needed: int,
    ignored: Mapping[MemberId, str],
) -> str:
    sentences = []
    if result == DEFERRED:
        sentences.append(
            "Vertagt: Die Sitzungsleitung hat den Punkt auf die nächste Sitzung vertagt; "
            "in dieser Sitzung wird über ihn nicht entschieden."
        )
    elif not entitled:
        sentences.append(
            "Nicht beschlussfähig: Für diesen Punkt ist kein Mitglied stimmberechtigt."
        )
    elif not eligible:
        everyone = (
            "Das einzige stimmberechtigte Mitglied ist"
            if entitled == 1
            else f"Alle {entitled} stimmberechtigten Mitglieder sind"
        )
        sentences.append(
            f"Nicht beschlussfähig: {everyone} befangen ({_RECUSAL}); niemand darf über diesen "
            "Punkt abstimmen."
        )
    else:
        sentences.append(_quorum_sentence(rules, eligible=eligible, counted=counted, needed=needed))
        if recused:
            verbs = "ist befangen und zählt" if recused == 1 else "sind befangen und zählen"
            sentences.append(
                f"{_members(recused)} {verbs} bei diesem Punkt nicht mit ({_RECUSAL})."
            )
        if result == NO_QUORUM:
            sentences.append("Über den Antrag ist damit nicht entschieden.")
        else:
            sentences.append(_majority_sentence(result, yes=yes, no=no, abstain=abstain))
    sentences.append(_ignored_sentence(ignored))
    return " ".join(sentence for sentence in sentences if sentence)
