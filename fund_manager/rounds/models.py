"""Funding rounds (Förderrunden) and the steering group's decisions.

State changes only through ``rounds.services`` (django-fsm-2, protected); the decision rules
are the pure functions of ``policies.voting``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fund_manager.core.money import MoneyField
from fund_manager.core.text import MEDIUM_TEXT, SHORT_TEXT
from policies.funding import FundingType


class SteeringGroup(models.Model):
    """Lenkungsgruppe of a fund."""

    fund = models.OneToOneField(
        "funds.Fund",
        verbose_name=_("fund"),
        on_delete=models.PROTECT,
        related_name="steering_group",
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("steering group")
        verbose_name_plural = _("steering groups")

    def __str__(self):
        return self.name


class SteeringMember(models.Model):
    """A person's seat in the steering group; membership may change between rounds."""

    group = models.ForeignKey(SteeringGroup, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="steering_seats"
    )
    is_chair = models.BooleanField(_("chair"), default=False)
    is_deputy = models.BooleanField(_("deputy chair"), default=False)
    votes = models.BooleanField(_("entitled to vote"), default=True)
    since = models.DateField(_("member since"))
    until = models.DateField(_("member until"), null=True, blank=True)

    class Meta:
        verbose_name = _("steering group member")
        verbose_name_plural = _("steering group members")
        ordering = ["group", "-is_chair", "-is_deputy", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user", "since"], name="seat_unique"),
        ]

    def __str__(self):
        return str(self.user)


class RoundState(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("round", "Planned")
    OPEN = "open", pgettext_lazy("round", "Open for applications")
    CLOSED = "closed", pgettext_lazy("round", "Closed for submissions")
    IN_SESSION = "in_session", pgettext_lazy("round", "In session")
    DECIDED = "decided", pgettext_lazy("round", "Decided")
    MINUTED = "minuted", pgettext_lazy("round", "Minuted")
    CANCELLED = "cancelled", pgettext_lazy("round", "Cancelled")


# A round whose session has been closed: its decisions are stored (the minutes, the notices,
# and a repeated close answers them again).
DECIDED_STATES = (RoundState.DECIDED, RoundState.MINUTED)


class FundingRound(ConcurrentTransitionMixin, models.Model):
    fiscal_year = models.ForeignKey(
        "funds.FiscalYear",
        verbose_name=_("fiscal year"),
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    submission_deadline = models.DateField(_("submission deadline"))
    session_date = models.DateField(_("session date"))
    state = FSMField(
        _("state"), default=RoundState.PLANNED, choices=RoundState.choices, protected=True
    )
    opened_at = models.DateTimeField(_("session opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("session closed at"), null=True, blank=True)
    # Who led the session (the chair, or the deputy standing in): set when it is opened.
    chaired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chaired by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    minute_taker = models.CharField(_("minute taker"), max_length=200, blank=True)
    minutes_signed_at = models.DateTimeField(_("minutes signed at"), null=True, blank=True)
    minutes_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("minutes signed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A round that will not meet (rounds.services.cancel_round): when and why.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.CharField(
        _("reason for the cancellation"), max_length=SHORT_TEXT, blank=True
    )

    class Meta:
        verbose_name = _("funding round")
        verbose_name_plural = _("funding rounds")
        ordering = ["fiscal_year", "number"]
        # The chair's tasks in the inbox (workflows.RoundFlow) are given through this.
        permissions = [("chair_session", _("Can chair a session of the steering group"))]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "number"], name="round_number_unique"),
            models.CheckConstraint(
                condition=models.Q(submission_deadline__lte=models.F("session_date")),
                name="round_deadline_before_session",
            ),
        ]

    def __str__(self):
        return f"{self.fiscal_year.year}/{self.number}"

    @transition(field=state, source=RoundState.PLANNED, target=RoundState.OPEN)
    def open(self):
        pass

    @transition(field=state, source=RoundState.OPEN, target=RoundState.CLOSED)
    def close_submissions(self):
        pass

    @transition(field=state, source=RoundState.CLOSED, target=RoundState.IN_SESSION)
    def open_session(self):
        pass

    @transition(field=state, source=RoundState.IN_SESSION, target=RoundState.DECIDED)
    def close_session(self):
        pass

    @transition(field=state, source=RoundState.DECIDED, target=RoundState.MINUTED)
    def sign_minutes(self):
        pass

    @transition(
        field=state, source=[RoundState.PLANNED, RoundState.OPEN], target=RoundState.CANCELLED
    )
    def cancel(self):
        pass


class Entitlement(models.Model):
    """Who was entitled to vote in a round, frozen when the session opens."""

    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="entitlements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_chair = models.BooleanField(default=False)
    is_deputy = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="entitlement_unique"),
        ]

    def __str__(self):
        return f"{self.round}: {self.user}"


class Attendance(models.Model):
    """One stretch of a member's presence in a session: from the opening or a late arrival
    (``arrived_at``) until a departure (``left_at``, empty while present). Recorded by the
    chair (rounds.services.open_session, record_attendance); only present members vote."""

    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at_opening = models.BooleanField(_("present at the opening"), default=False)
    arrived_at = models.DateTimeField(_("arrived at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["round", "arrived_at", "pk"]
        constraints = [
            # At most one open stretch per member and session.
            models.UniqueConstraint(
                fields=["round", "member"],
                condition=models.Q(left_at__isnull=True),
                name="attendance_one_open_stretch",
            ),
        ]

    def __str__(self):
        return f"{self.round}: {self.member}"


class ItemState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("agenda item", "Pending")
    APPROVED = "approved", pgettext_lazy("agenda item", "Approved")
    REJECTED = "rejected", pgettext_lazy("agenda item", "Rejected")
    DEFERRED = "deferred", pgettext_lazy("agenda item", "Deferred")


class NoticeDelivery(models.TextChoices):
    """How the notice reached the applicant (its Bekanntgabe, § 41 VwVfG NRW)."""

    POST = "post", _("By post")
    EMAIL = "email", _("By e-mail")
    IN_PERSON = "in_person", _("Handed over in person")
    PORTAL = "portal", _("Downloaded from the portal")


class AgendaItem(models.Model):
    """Tagesordnungspunkt: one application in one round."""

    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    proposed_amount = MoneyField(_("proposed amount"), null=True, blank=True)
    conditions = models.TextField(_("conditions"), max_length=MEDIUM_TEXT, blank=True)
    # Set with the chair's proposal (the fund's default until then); the notice prints it and
    # the settlement of the usage report follows it (policies.funding, policies.settlement).
    funding_type = models.CharField(
        _("funding type"), max_length=10, choices=FundingType, blank=True
    )
    deferral_requested = models.BooleanField(_("to be deferred"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=ItemState.choices, default=ItemState.PENDING
    )
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    # The notice of a decided item: when it became known to the applicant (the objection
    # period and the payout rules count from here), recorded by the project office.
    notified_on = models.DateField(_("notice notified on"), null=True, blank=True)
    notified_via = models.CharField(
        _("notice delivered"), max_length=10, choices=NoticeDelivery.choices, blank=True
    )
    # The applicant waived its legal remedy (Rechtsbehelfsverzicht) on this day: the notice is
    # final from then on, before the objection period ends (payments may start).
    remedy_waived_on = models.DateField(_("legal remedy waived on"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["round", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "application"], name="item_unique"),
            models.CheckConstraint(
                condition=models.Q(proposed_amount__isnull=True) | models.Q(proposed_amount__gt=0),
                name="item_proposal_positive",
            ),
        ]

    def __str__(self):
        return f"{self.round} TOP {self.position}: {self.application}"


class Vote(models.Model):
    class Choice(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        ABSTAIN = "abstain", _("Abstain")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("vote"), max_length=10, choices=Choice.choices)
    cast_at = models.DateTimeField(_("cast at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="vote_once_per_member"),
        ]

    def __str__(self):
        return f"{self.item}: {self.member} {self.choice}"


class Recusal(models.Model):
    class Reason(models.TextChoices):
        MEMBERSHIP = "membership", _("Member of the applicant organisation")
        DECLARED = "declared", _("Declared conflict of interest")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="recusals")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="recusal_unique"),
        ]

    def __str__(self):
        return f"{self.item}: {self.member} ({self.reason})"
