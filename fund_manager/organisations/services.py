"""Every change of an organisation: its data, its members and its bank details (project office).

All are audited on the organisation. A new bank account takes effect only once a second person
confirms it (four eyes, issue 9 defect 3): the project office enters it as a pending
``BankDetailsChange``; somebody else of the project office or finance confirms or rejects it.
Nobody changes or decides on an organisation they are a member of.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.roles import Role, has_role
from fund_manager.core.text import validate_single_line

from . import notifications
from .models import BankDetailsChange, Membership, Organisation
from .validators import normalise_bic, normalise_iban

# What the project office edits directly (audited); bank data goes through a confirmed change.
DATA_FIELDS = ("name", "kind", "natural_person", "street", "postal_code", "city", "email", "phone")
BANK_FIELDS = ("iban", "bic", "account_holder", "creditor_number")
DECIDING_ROLES = (Role.PROJECT_OFFICE, Role.FINANCE)


class OrganisationError(InvalidTransition):
    """The organisation as it stands refuses the change; nothing was changed."""

    default_code = "organisation_conflict"


def _require(by, *roles):
    if not any(has_role(by, role) for role in roles):
        raise NotPermitted()


def _is_member(user, organisation_id):
    # Asked of the database, not of a per-request cache: the membership may just have changed.
    return Membership.objects.filter(organisation_id=organisation_id, user_id=user.pk).exists()


def _not_own(by, organisation_id):
    """Separation of duties: nobody acts on an organisation they belong to."""
    if _is_member(by, organisation_id):
        raise NotPermitted(
            _("You are a member of this organisation; somebody else has to do this."),
            code="own_organisation",
        )


def _lock(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _clean_fields(model, data, *, exclude_pk=None):
    """Run the model fields' own validation on ``data``; errors as InvalidInput."""
    errors = {}
    cleaned = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        value = "" if value is None else value
        if isinstance(value, str):
            value = value.strip()
        try:
            validate_single_line(value)
            cleaned[name] = field.clean(value, None)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def _check_name(name, *, exclude_pk=None):
    others = Organisation.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise InvalidInput(
            fields={"name": [_("An organisation with this name already exists.")]},
        )


def create_organisation(*, by, **data):
    """The project office registers an organisation (without bank details: those follow as a
    change that a second person confirms)."""
    _require(by, Role.PROJECT_OFFICE)
    unknown = set(data) - set(DATA_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    defaults = {name: Organisation._meta.get_field(name).get_default() for name in DATA_FIELDS}
    cleaned = _clean_fields(Organisation, {**defaults, **data})
    with transaction.atomic():
        _check_name(cleaned["name"])
        try:
            with transaction.atomic():
                organisation = Organisation.objects.create(**cleaned)
        except IntegrityError as exc:
            raise InvalidInput(
                fields={"name": [_("An organisation with this name already exists.")]}
            ) from exc
        log_action(obj=organisation, action="organisation.created", by=by, data=dict(cleaned))
    return organisation


def update_organisation(*, organisation, by, **data):
    """Name, kind, address and contact data; every changed field is audited (old and new)."""
    _require(by, Role.PROJECT_OFFICE)
    unknown = set(data) - set(DATA_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    cleaned = _clean_fields(Organisation, data)
    with transaction.atomic():
        locked = _lock(Organisation, organisation.pk)
        _not_own(by, locked.pk)
        if "name" in cleaned:
            _check_name(cleaned["name"], exclude_pk=locked.pk)
        changes = {
            name: [getattr(locked, name), value]
            for name, value in cleaned.items()
            if getattr(locked, name) != value
        }
        if not changes:
            return locked
        for name, (_old, new) in changes.items():
            setattr(locked, name, new)
        try:
            with transaction.atomic():
                locked.save(update_fields=list(changes))
        except IntegrityError as exc:
            raise InvalidInput(
                fields={"name": [_("An organisation with this name already exists.")]}
            ) from exc
        log_action(obj=locked, action="organisation.updated", by=by, data={"changes": changes})
    return locked


def add_member(*, organisation, user, by):
    """An existing, active user account becomes a member (it then acts for the organisation,
    and may no longer decide on its applications)."""
    _require(by, Role.PROJECT_OFFICE)
    if user is None or not user.is_active:
        raise InvalidInput(
            fields={"username": [_("There is no active user account by this name.")]}
        )
    with transaction.atomic():
        locked = _lock(Organisation, organisation.pk)
        _not_own(by, locked.pk)
        if _is_member(user, locked.pk):
            raise OrganisationError(
                _("%(name)s is already a member of this organisation."),
                params={"name": user.get_full_name() or user.username},
                code="already_member",
            )
        membership = Membership.objects.create(organisation=locked, user=user)
        log_action(
            obj=locked,
            action="organisation.member_added",
            by=by,
            data={"user": user.username, "user_id": user.pk},
        )
    return membership


def remove_member(*, organisation, user, by):
    """The user no longer acts for the organisation; its applications stay with it."""
    _require(by, Role.PROJECT_OFFICE)
    with transaction.atomic():
        locked = _lock(Organisation, organisation.pk)
        _not_own(by, locked.pk)
        deleted, _rows = Membership.objects.filter(organisation=locked, user=user).delete()
        if not deleted:
            raise OrganisationError(
                _("%(name)s is not a member of this organisation."),
                params={"name": user.get_full_name() or user.username},
                code="not_a_member",
            )
        log_action(
            obj=locked,
            action="organisation.member_removed",
            by=by,
            data={"user": user.username, "user_id": user.pk},
        )


def current_bank_details(organisation):
    return {name: getattr(organisation, name) for name in BANK_FIELDS}


def request_bank_details_change(*, organisation, iban, bic, account_holder, creditor_number, by):
    """Enter new bank details; they take effect only when a second person confirms them. One
    change waits per organisation at a time."""
    _require(by, Role.PROJECT_OFFICE)
    cleaned = _clean_fields(
        BankDetailsChange,
        {
            "iban": normalise_iban(iban or ""),
            "bic": normalise_bic(bic or ""),
            "account_holder": account_holder,
            "creditor_number": (creditor_number or "").strip(),
        },
    )
    with transaction.atomic():
        locked = _lock(Organisation, organisation.pk)
        _not_own(by, locked.pk)
        previous = current_bank_details(locked)
        if cleaned == previous:
            raise InvalidInput(
                _("These are the bank details the organisation already has."),
                code="bank_details_unchanged",
            )
        if locked.bank_details_changes.filter(state=BankDetailsChange.State.PENDING).exists():
            raise OrganisationError(
                _(
                    "A change of the bank details is already waiting for confirmation. "
                    "Confirm or reject it first."
                ),
                code="change_pending",
            )
        try:
            with transaction.atomic():
                change = BankDetailsChange.objects.create(
                    organisation=locked, previous=previous, entered_by=by, **cleaned
                )
        except IntegrityError as exc:
            raise OrganisationError(
                _(
                    "A change of the bank details is already waiting for confirmation. "
                    "Confirm or reject it first."
                ),
                code="change_pending",
            ) from exc
        log_action(
            obj=locked,
            action="organisation.bank_details_entered",
            by=by,
            data={"change": change.pk, "new": cleaned, "previous": previous},
        )
    return change


def _decide(change, by):
    """Lock the organisation, then the change; the checks every decision shares."""
    _require(by, *DECIDING_ROLES)
    organisation = _lock(Organisation, change.organisation_id)
    locked = _lock(BankDetailsChange, change.pk)
    _not_own(by, organisation.pk)
    if not locked.is_pending:
        raise OrganisationError(
            _("This change has already been decided (%(state)s)."),
            params={"state": locked.get_state_display()},
            code="change_decided",
        )
    return organisation, locked


def confirm_bank_details_change(*, change, by):
    """A second person (project office or finance, not who entered it, not a member of the
    organisation) confirms; only now the organisation's bank details change."""
    with transaction.atomic():
        organisation, locked = _decide(change, by)
        if locked.entered_by_id == by.pk:
            raise NotPermitted(
                _("You entered this change yourself; a second person has to confirm it."),
                code="four_eyes",
            )
        previous = current_bank_details(organisation)
        new = {name: getattr(locked, name) for name in BANK_FIELDS}
        locked.confirm()
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        for name, value in new.items():
            setattr(organisation, name, value)
        organisation.save(update_fields=list(BANK_FIELDS))
        log_action(
            obj=organisation,
            action="organisation.bank_details_confirmed",
            by=by,
            data={
                "change": locked.pk,
                "entered_by": locked.entered_by.username,
                "new": new,
                "previous": previous,
            },
        )
        transaction.on_commit(lambda: notifications.bank_details_changed(locked))
    return locked


def reject_bank_details_change(*, change, by, reason=""):
    """The change is dropped; the bank details stay as they are. Who entered it may withdraw
    it this way too."""
    cleaned = _clean_fields(BankDetailsChange, {"reason": reason})
    with transaction.atomic():
        organisation, locked = _decide(change, by)
        locked.reject()
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.reason = cleaned["reason"]
        locked.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        log_action(
            obj=organisation,
            action="organisation.bank_details_rejected",
            by=by,
            data={
                "change": locked.pk,
                "entered_by": locked.entered_by.username,
                "iban": locked.iban,
                "reason": locked.reason,
            },
        )
    return locked
