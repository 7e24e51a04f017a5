"""The organisation pages of the project office: list, detail, data, members, bank details.

Finance reads them and confirms or rejects new bank details; the audit office reads them.
Providers have no access (their organisation's data is kept by the project office). Thin:
parse, call a service, show the result.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fund_manager.core.errors import DomainError, InvalidInput, NotPermitted
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.roles import Role, user_roles

from . import selectors, services
from .forms import AddMemberForm, BankDetailsForm, OrganisationForm, RejectForm, SearchForm
from .models import BankDetailsChange, Membership, Organisation

READ_ROLES = {Role.PROJECT_OFFICE, Role.FINANCE, Role.AUDITOR}
# Refusals of a person who holds the role but may not act here: shown as a message, not a 403.
SEPARATION_CODES = {"four_eyes", "own_organisation"}


def _roles(request):
    roles = user_roles(request.user)
    if not roles & READ_ROLES:
        raise PermissionDenied
    return roles


def _require_office(request):
    if Role.PROJECT_OFFICE not in _roles(request):
        raise PermissionDenied


def _require_decider(request):
    if not _roles(request) & {Role.PROJECT_OFFICE, Role.FINANCE}:
        raise PermissionDenied


def _organisation(pk):
    return get_object_or_404(Organisation, pk=pk)


def _at(organisation, anchor=""):
    url = reverse("organisations:detail", args=[organisation.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _refused(request, error, form=None):
    """A service's refusal: 403 for a missing role, otherwise errors on the form or a message."""
    if isinstance(error, NotPermitted) and error.code not in SEPARATION_CODES:
        raise PermissionDenied
    if form is not None and isinstance(error, InvalidInput):
        add_domain_errors(form, error)
    elif form is not None:
        form.add_error(None, str(error))
    else:
        messages.error(request, str(error))


def _save(request, form, action, *, success, back, failed=None):
    """A POSTed form: ``action(form.cleaned_data)``; a refusal goes onto the form (403 for a
    missing role). Success: the message ``success(result)`` and the redirect ``back(result)``;
    otherwise None, to show the form again with the message ``failed``."""
    if form.is_valid():
        try:
            result = action(form.cleaned_data)
        except DomainError as error:
            _refused(request, error, form)
        else:
            messages.success(request, success(result))
            return back(result)
    messages.error(request, failed or _("Please correct the marked fields. Nothing was saved."))
    return None


def _run(request, action, success):
    """A confirmed POST without a form: ``action()``; a refusal becomes a message (403 for a
    missing role), success the message ``success``."""
    try:
        action()
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, success)


@login_required
def organisation_list(request):
    roles = _roles(request)
    form = SearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.organisation_list(search), settings.FM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "organisations/list.html",
        {
            "form": form,
            "search": search,
            "page_obj": page,
            "is_office": Role.PROJECT_OFFICE in roles,
        },
    )


def _detail(request, organisation, *, member_form=None, status=200):
    roles = _roles(request)
    is_office = Role.PROJECT_OFFICE in roles
    may_decide = bool(roles & {Role.PROJECT_OFFICE, Role.FINANCE})
    members = list(selectors.members(organisation))
    is_member = any(m.user_id == request.user.pk for m in members)
    pending = selectors.pending_change(organisation)
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "members": members,
            "pending": pending,
            "decided_changes": selectors.decided_changes(organisation),
            "history": selectors.history(organisation),
            "is_office": is_office,
            "is_member": is_member,
            "may_manage": is_office and not is_member,
            # Buttons only for whoever may decide; the service checks the same again.
            "may_confirm": bool(
                pending
                and may_decide
                and not is_member
                and pending.entered_by_id != request.user.pk
            ),
            "may_reject": bool(pending and may_decide and not is_member),
            "member_form": member_form
            if member_form is not None
            else (AddMemberForm() if is_office and not is_member else None),
        },
        status=status,
    )


@login_required
def organisation_detail(request, pk):
    _roles(request)
    return _detail(request, _organisation(pk))


def _form_page(request, *, form, organisation=None):
    return render(
        request,
        "organisations/form.html",
        {
            "form": form,
            "organisation": organisation,
            "cancel": reverse("organisations:detail", args=[organisation.pk])
            if organisation
            else reverse("organisations:list"),
        },
    )


@login_required
def organisation_create(request):
    _require_office(request)
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        done = _save(
            request,
            form,
            lambda data: services.create_organisation(by=request.user, **data),
            success=lambda organisation: _(
                "The organisation “%(name)s” has been registered. Now add its members and "
                "bank details."
            )
            % {"name": organisation.name},
            back=_at,
        )
        if done is not None:
            return done
    else:
        form = OrganisationForm(initial={"kind": Organisation.Kind.PROVIDER})
    return _form_page(request, form=form)


@login_required
def organisation_edit(request, pk):
    _require_office(request)
    organisation = _organisation(pk)
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        done = _save(
            request,
            form,
            lambda data: services.update_organisation(
                organisation=organisation, by=request.user, **data
            ),
            success=lambda _result: _("The organisation’s data have been saved."),
            back=lambda _result: _at(organisation, "data"),
        )
        if done is not None:
            return done
    else:
        form = OrganisationForm(initial=OrganisationForm.initial_for(organisation))
    return _form_page(request, form=form, organisation=organisation)


@login_required
@require_POST
def member_add(request, pk):
    _require_office(request)
    organisation = _organisation(pk)
    form = AddMemberForm(request.POST)

    def add(data):
        user = selectors.find_user(data["username"])
        if user is None:
            raise InvalidInput(
                fields={"username": [_("There is no active user account by this name.")]}
            )
        services.add_member(organisation=organisation, user=user, by=request.user)
        return user

    done = _save(
        request,
        form,
        add,
        success=lambda user: _("%(name)s is now a member of “%(organisation)s”.")
        % {"name": user.get_full_name() or user.username, "organisation": organisation},
        back=lambda _user: _at(organisation, "members"),
        failed=_("Please correct the marked fields. No member was added."),
    )
    if done is not None:
        return done
    return _detail(request, organisation, member_form=form, status=400)


@login_required
def member_remove(request, pk, user_pk):
    """GET asks to confirm; POST removes the membership."""
    _require_office(request)
    organisation = _organisation(pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), organisation=organisation, user_id=user_pk
    )
    name = membership.user.get_full_name() or membership.user.username
    if request.method == "POST":
        _run(
            request,
            lambda: services.remove_member(
                organisation=organisation, user=membership.user, by=request.user
            ),
            _("%(name)s is no longer a member of “%(organisation)s”.")
            % {"name": name, "organisation": organisation},
        )
        return _at(organisation, "members")
    return render(
        request,
        "organisations/confirm.html",
        {
            "organisation": organisation,
            "title": _("Remove %(name)s from the organisation") % {"name": name},
            "text": _(
                "%(name)s will no longer act for “%(organisation)s”: no new applications, no "
                "access to its applications. The applications stay with the organisation."
            )
            % {"name": name, "organisation": organisation},
            "button": _("Remove the member"),
            "danger": True,
        },
    )


@login_required
def bank_details(request, pk):
    """Enter new bank details: they wait until a second person confirms them."""
    _require_office(request)
    organisation = _organisation(pk)
    if selectors.pending_change(organisation) is not None:
        messages.error(
            request,
            _(
                "A change of the bank details is already waiting for confirmation. Confirm or "
                "reject it first."
            ),
        )
        return _at(organisation, "bank")
    if request.method == "POST":
        form = BankDetailsForm(request.POST)
        done = _save(
            request,
            form,
            lambda data: services.request_bank_details_change(
                organisation=organisation, by=request.user, **data
            ),
            success=lambda _change: _(
                "The new bank details have been entered. They take effect once a second "
                "person of the project office or finance has confirmed them."
            ),
            back=lambda _change: _at(organisation, "bank"),
        )
        if done is not None:
            return done
    else:
        form = BankDetailsForm(initial=BankDetailsForm.initial_for(organisation))
    return render(
        request,
        "organisations/bank_details.html",
        {
            "organisation": organisation,
            "form": form,
            "cancel": f"{reverse('organisations:detail', args=[organisation.pk])}#bank",
        },
    )


def _change(organisation, change_pk):
    return get_object_or_404(
        BankDetailsChange.objects.select_related("entered_by"),
        pk=change_pk,
        organisation=organisation,
    )


@login_required
def bank_change_confirm(request, pk, change_pk):
    """GET shows old and new side by side; POST confirms (the IBAN changes now)."""
    _require_decider(request)
    organisation = _organisation(pk)
    change = _change(organisation, change_pk)
    if request.method == "POST":
        _run(
            request,
            lambda: services.confirm_bank_details_change(change=change, by=request.user),
            _("The new bank details of “%(organisation)s” are in effect now.")
            % {"organisation": organisation},
        )
        return _at(organisation, "bank")
    if not change.is_pending:
        messages.error(request, _("This change has already been decided."))
        return _at(organisation, "bank")
    return render(
        request,
        "organisations/decide.html",
        {
            "organisation": organisation,
            "change": change,
            "confirm": True,
            "cancel": f"{reverse('organisations:detail', args=[organisation.pk])}#bank",
        },
    )


@login_required
def bank_change_reject(request, pk, change_pk):
    """GET asks for an optional reason; POST rejects (the bank details stay as they are)."""
    _require_decider(request)
    organisation = _organisation(pk)
    change = _change(organisation, change_pk)
    if request.method == "POST":
        form = RejectForm(request.POST)
        if form.is_valid():
            try:
                services.reject_bank_details_change(
                    change=change, by=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                if isinstance(error, InvalidInput):
                    _refused(request, error, form)
                else:
                    _refused(request, error)
                    return _at(organisation, "bank")
            else:
                messages.success(
                    request,
                    _("The change has been rejected; the bank details stay as they were."),
                )
                return _at(organisation, "bank")
    else:
        if not change.is_pending:
            messages.error(request, _("This change has already been decided."))
            return _at(organisation, "bank")
        form = RejectForm()
    return render(
        request,
        "organisations/decide.html",
        {
            "organisation": organisation,
            "change": change,
            "confirm": False,
            "form": form,
            "cancel": f"{reverse('organisations:detail', args=[organisation.pk])}#bank",
        },
    )
