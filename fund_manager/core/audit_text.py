"""The audit trail as sentences a person reads: who did what to which record, with its key values.

``describe(entry)`` turns one ``AuditEntry`` into a ``Described``: a sentence ("Paula Projektbüro
hat den Antrag VF-2017-0001 als förderfähig eingestuft."), a few key values by their German
names (amounts and dates formatted), and every stored value labelled, for auditors to unfold.
Nothing shows an id, a code or a dictionary: a record is named by its reference (application,
payment request, refund claim), its number (funding round, booking) or its name; codes of states,
kinds and action fields by their German names. The entry itself stays as it was stored; the
sentence is built in the language of the request each time it is shown.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import prefetch_related_objects
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from .audit import action_label
from .money import format_amount

# One sentence per action: %(actor)s is the person (or "the system"), %(object)s the record's
# reference; other placeholders are values of the entry's data (formatted). An entry whose data
# lacks a placeholder, or an action without a sentence, gets the generic sentence below.
SENTENCES = {
    "application.created": _("%(actor)s created the application %(object)s."),
    "application.updated": _("%(actor)s changed the application %(object)s."),
    "application.submitted": _("%(actor)s submitted the application %(object)s."),
    "application.resubmitted": _("%(actor)s submitted the application %(object)s again."),
    "application.withdrawn": _("%(actor)s withdrew the application %(object)s."),
    "application.draft_deleted": _("%(actor)s deleted the draft %(object)s."),
    "application.guidelines_reevaluated": _(
        "%(actor)s checked the application %(object)s against the funding guideline again."
    ),
    "application.rules_assessed": _(
        "%(actor)s assessed the rules of the guideline check of the application %(object)s "
        "that need a judgement."
    ),
    "application.scheduled": _(
        "%(actor)s put the application %(object)s on the agenda of funding round %(round)s."
    ),
    "application.moved_to_round": _(
        "%(actor)s moved the application %(object)s from funding round %(from)s to funding "
        "round %(to)s."
    ),
    "application.approved": _(
        "The steering group approved the application %(object)s in funding round %(round)s "
        "(recorded by %(actor)s)."
    ),
    "application.rejected": _(
        "The steering group rejected the application %(object)s in funding round %(round)s "
        "(recorded by %(actor)s)."
    ),
    "application.deferred": _(
        "The steering group deferred the application %(object)s in funding round %(round)s "
        "(recorded by %(actor)s)."
    ),
    "application.notice_notified": _(
        "%(actor)s recorded that the notice on the application %(object)s was received on "
        "%(notified_on)s."
    ),
    "application.review_started": _("%(actor)s started the review of the application %(object)s."),
    "application.changes_requested": _(
        "%(actor)s requested changes to the application %(object)s."
    ),
    "application.marked_eligible": _("%(actor)s marked the application %(object)s as eligible."),
    "application.marked_ineligible": _(
        "%(actor)s marked the application %(object)s as ineligible."
    ),
    "application.attachment_added": _(
        "%(actor)s uploaded a document to the application %(object)s."
    ),
    "application.attachment_removed": _(
        "%(actor)s removed a document from the application %(object)s."
    ),
    "application.waived": _(
        "%(actor)s recorded that the recipient waived the whole grant of the application "
        "%(object)s."
    ),
    "application.partially_waived": _(
        "%(actor)s recorded that the recipient waived part of the grant of the application "
        "%(object)s."
    ),
    "application.revocation_hearing_started": _(
        "%(actor)s started the hearing before revoking the grant of the application %(object)s."
    ),
    "application.revocation_response_recorded": _(
        "%(actor)s recorded the response to the hearing on the application %(object)s."
    ),
    "application.revoked": _("%(actor)s revoked the grant of the application %(object)s."),
    "application.partially_revoked": _(
        "%(actor)s partially revoked the grant of the application %(object)s."
    ),
    "application.revocation_dropped": _(
        "%(actor)s ended the revocation proceeding on the application %(object)s without a "
        "revocation."
    ),
    "application.remedy_waived": _(
        "%(actor)s recorded the waiver of legal remedy for the application %(object)s."
    ),
    "application.payment_started": _(
        "%(actor)s made the first payment request of the application %(object)s; the payout "
        "has started."
    ),
    "application.closed_unused": _(
        "%(actor)s closed the unused approval of the application %(object)s and released the money."
    ),
    "application.report_due": _(
        "The usage report of the application %(object)s is due: the project has ended."
    ),
    "application.report_submitted": _(
        "%(actor)s submitted the usage report of the application %(object)s."
    ),
    "application.report_accepted": _(
        "%(actor)s accepted the usage report of the application %(object)s."
    ),
    "application.closed": _(
        "%(actor)s closed the grant of the application %(object)s after the usage report."
    ),
    "application.refund_claimed": _(
        "%(actor)s claimed %(amount)s back from the application %(object)s."
    ),
    "application.refund_due": _(
        "A refund is due on the application %(object)s (recorded by %(actor)s)."
    ),
    "application.closed_after_refund": _(
        "%(actor)s closed the grant of the application %(object)s after the refund."
    ),
    "agenda_item.proposal_set": _(
        "%(actor)s proposed a decision on the application %(object)s over %(amount)s."
    ),
    "agenda_item.vote_cast": _("%(actor)s voted on the application %(object)s."),
    "agenda_item.vote_changed": _("%(actor)s changed the vote on the application %(object)s."),
    "agenda_item.conflict_declared": _(
        "%(actor)s declared a conflict of interest on the application %(object)s."
    ),
    "agenda_item.deferral_requested": _("%(actor)s asked to defer the application %(object)s."),
    "round.planned": _("%(actor)s planned funding round %(object)s."),
    "round.opened": _("%(actor)s opened funding round %(object)s for applications."),
    "round.submissions_closed": _("%(actor)s closed funding round %(object)s for submissions."),
    "round.agenda_reordered": _("%(actor)s reordered the agenda of funding round %(object)s."),
    "round.session_opened": _("%(actor)s opened the session of funding round %(object)s."),
    "round.session_closed": _("%(actor)s closed the session of funding round %(object)s."),
    "round.rescheduled": _(
        "%(actor)s moved the session of funding round %(object)s from %(from)s to %(to)s."
    ),
    "round.cancelled": _("%(actor)s cancelled funding round %(object)s."),
    "round.minutes_signed": _("%(actor)s signed the minutes of funding round %(object)s."),
    "round.member_arrived": _(
        "%(actor)s recorded that %(member)s arrived late at the session of funding round "
        "%(object)s."
    ),
    "round.member_left": _(
        "%(actor)s recorded that %(member)s left the session of funding round %(object)s."
    ),
    "steering.group_created": _("%(actor)s set up the steering group %(object)s."),
    "steering.seat_added": _("%(actor)s gave %(user)s a seat in the steering group %(object)s."),
    "steering.seat_ended": _(
        "%(actor)s ended the seat of %(user)s in the steering group %(object)s."
    ),
    "organisation.created": _("%(actor)s registered the applicant %(object)s."),
    "organisation.updated": _("%(actor)s changed the data of the applicant %(object)s."),
    "organisation.member_added": _("%(actor)s added %(user)s as a member of %(object)s."),
    "organisation.member_removed": _("%(actor)s removed %(user)s as a member of %(object)s."),
    "organisation.bank_details_entered": _(
        "%(actor)s entered new bank details of %(object)s (awaiting confirmation)."
    ),
    "organisation.bank_details_confirmed": _(
        "%(actor)s confirmed the new bank details of %(object)s."
    ),
    "organisation.bank_details_rejected": _(
        "%(actor)s rejected the new bank details of %(object)s."
    ),
    "ledger.transfer_posted": _("%(actor)s posted booking %(object)s over %(amount)s."),
    "ledger.year_closed": _("%(actor)s closed the fiscal year %(object)s."),
    "ledger.spending_frozen": _("%(actor)s froze spending for %(object)s."),
    "ledger.spending_freeze_lifted": _("%(actor)s lifted the spending freeze for %(object)s."),
    "payment.requested": _("%(actor)s requested %(amount)s with payment request %(object)s."),
    "payment.certified": _("%(actor)s certified payment request %(object)s as correct."),
    "payment.ordered": _("%(actor)s ordered the payment of payment request %(object)s."),
    "payment.rejected": _("%(actor)s rejected payment request %(object)s."),
    "payment.cancelled": _("%(actor)s cancelled payment request %(object)s."),
    "payment.exported": _("%(actor)s exported payment request %(object)s to the finance system."),
    "payment.confirmed": _(
        "%(actor)s recorded the finance system's confirmation that payment request %(object)s "
        "was paid."
    ),
    "payment.export_batch_created": _(
        "%(actor)s created the export %(object)s to the finance system."
    ),
    "payment.confirmations_imported": _(
        "%(actor)s imported the payment confirmations of the file %(object)s."
    ),
    "report.saved": _("%(actor)s saved the usage report of the application %(object)s."),
    "report.attachment_added": _(
        "%(actor)s added a document to the usage report of the application %(object)s."
    ),
    "report.attachment_removed": _(
        "%(actor)s removed a document from the usage report of the application %(object)s."
    ),
    "report.submitted": _("%(actor)s submitted the usage report of the application %(object)s."),
    "report.revision_requested": _(
        "%(actor)s asked for a revision of the usage report of the application %(object)s."
    ),
    "report.accepted": _(
        "%(actor)s accepted the usage report of the application %(object)s and stated the "
        "eligible costs."
    ),
    "report.extension_requested": _(
        "%(actor)s asked for a later due date of the usage report of the application %(object)s."
    ),
    "report.extension_granted": _(
        "%(actor)s granted a later due date of the usage report of the application %(object)s."
    ),
    "report.extension_refused": _(
        "%(actor)s refused a later due date of the usage report of the application %(object)s."
    ),
    "report.reminder_before": _(
        "%(actor)s sent a reminder: the usage report of the application %(object)s is due soon."
    ),
    "report.reminder_after": _(
        "%(actor)s sent a reminder: the usage report of the application %(object)s is overdue."
    ),
    "refund_claim.created": _("%(actor)s decided the refund claim %(object)s over %(amount)s."),
    "refund_claim.refund_recorded": _(
        "%(actor)s booked a refund of %(amount)s on the refund claim %(object)s."
    ),
    "refund_claim.interest_waived": _(
        "%(actor)s waived the interest of the refund claim %(object)s."
    ),
    "refund_claim.settled": _("The refund claim %(object)s is settled (recorded by %(actor)s)."),
    "base_rate.added": _("%(actor)s added the base rate valid from %(valid_from)s."),
    "auth.locked_out": _("The login of %(object)s was locked after repeated failed attempts."),
}
GENERIC = _("%(action)s: %(object)s (%(actor)s).")

# The areas of the audit trail's filter: the beginning of the action codes, and its German name.
AREAS = (
    ("application.", _("Applications")),
    ("agenda_item.", _("Agenda items and votes")),
    ("round.", _("Funding rounds and sessions")),
    ("steering.", _("Steering group")),
    ("organisation.", _("Applicants and their bank details")),
    ("payment.", _("Payment requests and payments")),
    ("report.", _("Usage reports")),
    ("refund_claim.", _("Refund claims")),
    ("ledger.", _("Ledger and spending freezes")),
    ("base_rate.", _("Base rate")),
    ("auth.", _("Logins")),
)

# German names of the values an entry's data may hold (the unfolded view for auditors).
LABELS = {
    "amount": _("Amount"),
    "requested_amount": _("Requested amount"),
    "approved": _("Approved amount"),
    "before": _("Amount before"),
    "after": _("Amount after"),
    "waived": _("Amount waived"),
    "intended": _("Intended amount"),
    "eligible_costs": _("Eligible costs"),
    "proposed_eligible": _("Eligible costs proposed"),
    "paid": _("Paid out"),
    "refund": _("Refund"),
    "released": _("Released"),
    "remaining": _("Left to request"),
    "total": _("Total"),
    "principal_part": _("Of which principal"),
    "interest_part": _("Of which interest"),
    "principal_open": _("Principal open"),
    "interest_open": _("Interest open"),
    "late_use_interest": _("Interest for late use"),
    "carried": _("Carried over"),
    "date": _("Date"),
    "due_on": _("Due on"),
    "requested_due_on": _("Requested due date"),
    "needed_by": _("Needed by"),
    "notified_on": _("Notice received on"),
    "waived_on": _("Waived on"),
    "facts_known_on": _("Facts known on"),
    "response_due": _("Response due by"),
    "last_day": _("Last day"),
    "valid_from": _("Valid from"),
    "locked_until": _("Locked until"),
    "at": _("Time"),
    "note": _("Note"),
    "reason": _("Reason"),
    "round": _("Funding round"),
    "position": _("Agenda item"),
    "number": _("Number of the funding round"),
    "sequence": _("Booking number"),
    "kind": _("Kind"),
    "from": _("From"),
    "to": _("To"),
    "reference": _("Reference"),
    "application_reference": _("Application"),
    "payment_key": _("Payment request"),
    "document_number": _("Document number"),
    "batch": _("Export batch"),
    "fiscal_year": _("Fiscal year"),
    "action_field": _("Action field"),
    "funding_type": _("Funding type"),
    "conditions": _("Conditions"),
    "choice": _("Their vote"),
    "outcome": _("Result"),
    "explanation": _("Result"),
    "yes": _("Yes"),
    "no": _("No"),
    "abstain": _("Abstentions"),
    "eligible_voters": _("Members entitled to vote"),
    "votes_cast": _("Votes cast"),
    "recused": _("Recused"),
    "quorum_needed": _("Quorum needed"),
    "quorum_met": _("Quorum met"),
    "result": _("Result"),
    "member": _("Member"),
    "user": _("Person"),
    "username": _("Login name"),
    "minute_taker": _("Minute taker"),
    "entitled": _("Members entitled to vote"),
    "present": _("Present"),
    "approved_count": _("Approvals"),
    "file": _("Document"),
    "filename": _("File"),
    "rows": _("Rows"),
    "confirmed": _("Confirmed"),
    "count": _("Count"),
    "fields": _("Fields changed"),
    "changes": _("Changes"),
    "guideline_version": _("Version of the funding guideline"),
    "resubmission": _("Resubmission"),
    "via": _("Received by"),
    "ground": _("Ground"),
    "rate": _("Rate in percent"),
    "source": _("Source"),
    "name": _("Name"),
    "failures": _("Failed attempts"),
    "ip_address": _("IP address"),
    "is_chair": _("Chair"),
    "is_deputy": _("Deputy chair"),
    "votes": _("Votes"),
    "since": _("Since"),
    "until": _("Until"),
    "released_by": _("Released by"),
    "settled": _("Settled"),
    "how": _("How"),
    "origin": _("Origin"),
    "lines_beyond_tolerance": _("Lines beyond the tolerance"),
    "vote_withdrawn": _("Vote withdrawn"),
    "previous": _("Before"),
    "new": _("New"),
    "size": _("Size in bytes"),
    "title": _("Title"),
    "state": _("State"),
    "assessments": _("Assessments"),
    "decided_amount": _("Decided amount"),
    "intended_amount": _("Intended amount"),
    "received_on": _("Received on"),
    "session_date": _("Session date"),
    "to_action_field": _("To action field"),
    "waived_total": _("Amount waived"),
}

# The few values shown with the sentence (the rest unfolds for auditors), in this order.
KEY_VALUES = (
    "requested_amount",
    "amount",
    "approved",
    "before",
    "after",
    "eligible_costs",
    "paid",
    "refund",
    "approved_count",
    "total",
    "needed_by",
    "due_on",
    "response_due",
    "document_number",
    "file",
    "explanation",
    "note",
    "reason",
)

# Values named by a word, not shown as their code.
_WORDS = {
    "result": {"approved": _("approved"), "rejected": _("rejected"), "deferred": _("deferred")},
    "how": {"paid": _("paid back"), "interest_waived": _("interest waived")},
    "origin": {"report": _("usage report"), "revocation": _("revocation")},
}
# Internal ids and fingerprints: never shown, not even unfolded (they name no one).
_HIDDEN = {
    "payment",
    "report",
    "claim",
    "application",
    "revocation",
    "extension",
    "receipt",
    "confirmation",
    "guideline_check",
    "seat",
    "change",
    "user_id",
    "key",
    "sha256",
    "files",
    "profile",
    "ignored_votes",
    "revocation_dropped",
    "path",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MONEY_KEYS = {
    "amount",
    "requested_amount",
    "approved",
    "before",
    "after",
    "waived",
    "intended",
    "eligible_costs",
    "proposed_eligible",
    "paid",
    "refund",
    "released",
    "remaining",
    "total",
    "principal_part",
    "interest_part",
    "principal_open",
    "interest_open",
    "late_use_interest",
}


@dataclass
class Described:
    sentence: str
    object: str = ""
    key_values: list[tuple[str, str]] = field(default_factory=list)
    data: list[tuple[str, str]] = field(default_factory=list)
    # The record's state before and after the action, by their German names ("" if none).
    state_from: str = ""
    state_to: str = ""


def actor_name(user) -> str:
    if user is None:
        return gettext("The system")
    return user.get_full_name() or user.get_username()


def _person(username, entry=None) -> str:
    # A page of entries names its people with one query (``prepare``): read from there.
    people = getattr(entry, "_fm_people", None)
    if people is not None and username in people:
        user = people[username]
    else:
        user = get_user_model().objects.filter(username=username).first()
    return actor_name(user) if user else str(username)


_NAMED_BY = {
    "fundinground": ("fiscal_year",),
    "spendingfreeze": ("fiscal_year__fund", "action_field"),
}
_PERSON_KEYS = ("member", "user", "username", "entitled", "present")


def prepare(entries) -> list:
    """Read what the sentences of ``entries`` name in a constant number of queries: the
    application of an agenda item's or a usage report's record, the people named in the data
    and the action fields named by their code. Call after the subjects are prefetched."""
    entries = list(entries)
    with_application = [
        entry.subject
        for entry in entries
        if entry.content_type.model in ("agendaitem", "usagereport") and entry.subject is not None
    ]
    if with_application:
        prefetch_related_objects(with_application, "application")
    # What names a record without a reference (object_name: its str()): a funding round
    # "2017/1", a spending freeze "fiscal year: action field".
    for model, lookups in _NAMED_BY.items():
        subjects = [
            entry.subject
            for entry in entries
            if entry.content_type.model == model and entry.subject is not None
        ]
        if subjects:
            prefetch_related_objects(subjects, *lookups)
    usernames, codes = set(), set()
    for entry in entries:
        for key, value in _items(entry.data or {}):
            if key in _PERSON_KEYS:
                values = value if isinstance(value, list | tuple) else [value]
                usernames.update(str(v) for v in values if isinstance(v, str | int))
            elif key in ("action_field", "to_action_field") and isinstance(value, str):
                codes.add(value)
    people = {}
    if usernames:
        found = get_user_model().objects.filter(username__in=usernames)
        people = {user.get_username(): user for user in found}
        people |= {name: None for name in usernames if name not in people}
    fields = {}
    if codes:
        model = apps.get_model("funds", "ActionField")
        fields = dict(model.objects.filter(code__in=codes).values_list("code", "name"))
        fields |= {code: code for code in codes if code not in fields}
    for entry in entries:
        entry._fm_people = people
        entry._fm_fields = fields
    return entries


def _items(data):
    """The keys and values of ``data`` and of the dictionaries in it (a decision's snapshot)."""
    for key, value in data.items():
        yield key, value
        if isinstance(value, dict):
            yield from _items(value)


def state_label(entry, code) -> str:
    """The German name of a state code of the entry's record (its ``state`` field's choices,
    or ``status``); the code itself if the model has no such choice."""
    if not code:
        return ""
    model = entry.content_type.model_class()
    for name in ("state", "status"):
        try:
            choices = dict(model._meta.get_field(name).flatchoices) if model else {}
        except FieldDoesNotExist:
            continue
        if code in choices:
            return str(choices[code])
    return str(code)


def _application_name(application) -> str:
    return application.reference or f"„{application.title}“"


def object_name(entry) -> str:
    """The record of an entry as a person names it: a reference, a number or a name."""
    model = entry.content_type.model
    subject = entry.subject
    data = entry.data or {}
    if subject is None:
        if data.get("title"):
            return f"„{data['title']}“"
        return data.get("reference") or "–"
    if model == "application":
        return _application_name(subject)
    if model in ("agendaitem", "usagereport"):
        return _application_name(subject.application)
    if model == "paymentrequest":
        return subject.payment_key
    if model == "transfer":
        return gettext("no. %(number)s") % {"number": subject.sequence}
    if model == "user":
        return actor_name(subject)
    if model == "refundclaim":
        return subject.reference
    if model == "baserate":
        return _format("valid_from", subject.valid_from.isoformat(), entry)
    return str(subject)


# Codes kept in the data under a key that is not a field of the entry's record: the model field
# (app label, model, field) whose choices name them. Looked up by name, not imported: the
# audit trail sits below every app.
_CODE_FIELDS = {
    "funding_type": ("funds", "Fund", "default_funding_type"),
    "via": ("rounds", "AgendaItem", "notified_via"),
    "ground": ("applications", "Revocation", "ground"),
    "choice": ("rounds", "Vote", "choice"),
}


def _choices(entry, key, value):
    """The German name of a code: from the field named in ``_CODE_FIELDS``, else from the
    record's own field ``key`` (for a state change's ``from``/``to``, its ``state``)."""
    if key in _CODE_FIELDS:
        app_label, model_name, name = _CODE_FIELDS[key]
        model = apps.get_model(app_label, model_name)
    else:
        model = entry.content_type.model_class()
        name = "state" if key in ("from", "to") else key
    if model is None:
        return None
    try:
        choices = dict(model._meta.get_field(name).flatchoices)
    except FieldDoesNotExist:  # no such field: the value is not a code of this model
        return None
    label = choices.get(value)
    return str(label) if label is not None else None


def _action_field_name(code, entry=None):
    fields = getattr(entry, "_fm_fields", None)
    if fields is not None and code in fields:
        return fields[code]
    model = apps.get_model("funds", "ActionField")
    return model.objects.filter(code=code).values_list("name", flat=True).first() or code


def _format(key, value, entry) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return "; ".join(
            f"{_label(k, entry)}: {_format(k, v, entry)}"
            for k, v in value.items()
            if k not in _HIDDEN
        )
    if isinstance(value, list | tuple):
        if key in ("entitled", "present"):
            return ", ".join(_person(v, entry) for v in value)
        if key == "fields":
            return ", ".join(_label(v, entry) for v in value) or "–"
        if key == "assessments":  # the office's judgements: rule title, met or not, reason
            return "; ".join(_assessment(v) for v in value if isinstance(v, dict)) or "–"
        return ", ".join(_format(key, v, entry) for v in value) or "–"
    if key in _MONEY_KEYS:
        try:
            return format_amount(Decimal(str(value)), language=get_language())
        except (InvalidOperation, ValueError):
            return str(value)
    if key in _WORDS and value in _WORDS[key]:
        return str(_WORDS[key][value])
    if key in ("action_field", "to_action_field"):
        return _action_field_name(value, entry)
    if key in ("member", "user", "username"):
        return _person(value, entry)
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        if _ISO_DATETIME.match(value):
            moment = datetime.datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        label = _choices(entry, key, value)
        if label is not None:
            return label
    return str(value)


def _assessment(item: dict) -> str:
    """One stored assessment ({rule, title, met, reason}) as "Title: met – reason"."""
    verdict = gettext("met") if item.get("met") else gettext("not met")
    reason = f" – {item['reason']}" if item.get("reason") else ""
    return f"{item.get('title') or _label(item.get('rule', ''))}: {verdict}{reason}"


def _label(key, entry=None) -> str:
    """The German name of a data key: from LABELS, else the verbose name of the record's field
    of that name, else the key as words."""
    if key in LABELS:
        return str(LABELS[key])
    model = entry.content_type.model_class() if entry is not None else None
    if model is not None:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            field = None
        # A reverse relation (e.g. the cost items of an application) has no verbose_name.
        name = getattr(field, "verbose_name", None) or getattr(
            getattr(field, "related_model", None), "_meta", None
        )
        if name is not None:
            return capfirst(str(getattr(name, "verbose_name_plural", name)))
    return str(key).replace("_", " ")


# Keys that mean something else in one action's data: (action, key) -> the key of LABELS.
_RENAMED = {("round.session_closed", "approved"): "approved_count"}


def _data(entry) -> dict:
    return {
        _RENAMED.get((entry.action, key), key): value for key, value in (entry.data or {}).items()
    }


def _values(entry) -> dict:
    data = _data(entry)
    outcome = data.get("outcome")
    if isinstance(outcome, dict) and outcome.get("explanation"):
        data["explanation"] = outcome["explanation"]
    return data


def describe(entry) -> Described:
    """One audit entry as a sentence, its key values and all its data, labelled."""
    data = _values(entry)
    formatted = {key: _format(key, value, entry) for key, value in data.items()}
    values = formatted | {
        "actor": actor_name(entry.actor),
        "object": object_name(entry),
        "action": str(action_label(entry.action)),
    }
    template = SENTENCES.get(entry.action)
    try:
        sentence = str(template) % values if template is not None else None
    except (KeyError, ValueError, TypeError):
        sentence = None
    if sentence is None:
        sentence = str(GENERIC) % values
    used = set(re.findall(r"%\((\w+)\)s", str(template or "")))
    key_values = [
        (_label(key, entry), values[key])
        for key in KEY_VALUES
        if key in data and key not in used and data[key] not in (None, "", [], {})
    ]
    # Every recorded value (the same formatting as above: formatted once).
    unfolded = [
        (_label(key, entry), formatted[key] if key in formatted else _format(key, value, entry))
        for key, value in _data(entry).items()
        if key not in _HIDDEN
    ]
    return Described(
        sentence=sentence,
        object=values["object"],
        key_values=key_values,
        data=unfolded,
        state_from=state_label(entry, entry.state_from),
        state_to=state_label(entry, entry.state_to),
    )
