"""Login throttling with django-axes (issue 9, defect 15): address, lockout response, audit.

Settings (``fund_manager/settings.py``): ``AXES_FAILURE_LIMIT`` failed logins of one user name
from one address lock that combination for ``AXES_COOLOFF_TIME`` after the last attempt. The
login form and ``/api/v1/auth/token/`` count together. An administrator lifts a lock by
deleting the entry under "Zugriffsversuche" in the admin or with ``manage.py
axes_reset_username <name>``.
"""

import math

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .audit import log_action

API_PREFIX = "/api/"
LOCKOUT_TEMPLATE = "registration/locked_out.html"


def client_address(request):
    """The client's address as DRF's throttles see it (``REST_FRAMEWORK["NUM_PROXIES"]``).

    Without trusted proxies (``FM_PROXY_COUNT`` 0) only REMOTE_ADDR counts, so a forged
    X-Forwarded-For cannot move an attacker to a fresh address.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "FM_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote_addr
    addresses = [address.strip() for address in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))]


def _locked_until(request):
    attempt_time = getattr(request, "axes_attempt_time", None) or timezone.now()
    return attempt_time + get_cool_off(request)


def _when(moment):
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return formats.time_format(local, "H:i")
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


def lockout_message(request):
    """The one-sentence reason, for the API's ``detail``."""
    return _(
        "Too many failed login attempts. Logins with this user name from your address are "
        "locked until %(time)s; every further attempt starts the waiting time again. An "
        "administrator can lift the lock."
    ) % {"time": _when(_locked_until(request))}


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: 429 with a German page, or ``{detail, code}`` for the API."""
    cool_off = get_cool_off(request)
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": lockout_message(request), "code": "locked_out"}, status=429
        )
    else:
        until = _locked_until(request)
        context = {
            "failure_limit": get_failure_limit(request, credentials),
            "until": _when(until),
            "minutes": max(1, math.ceil((until - timezone.now()).total_seconds() / 60)),
        }
        response = render(request, LOCKOUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response


@receiver(user_locked_out, dispatch_uid="fund_manager.core.lockout.audit")
def audit_lockout(sender, request, username, ip_address, **kwargs):
    """One audit entry when a lock begins (not for each further attempt while it lasts).

    The entry belongs to the user of that name, or to the access attempt when no such user
    exists (attackers guess names too).
    """
    credentials = getattr(request, "axes_credentials", None)
    failures = getattr(request, "axes_failures_since_start", None)
    if failures != get_failure_limit(request, credentials):
        return
    subject = get_user_model().objects.filter(username=username).first()
    if subject is None:
        subject = (
            AccessAttempt.objects.filter(username=username, ip_address=ip_address)
            .order_by("-attempt_time")
            .first()
        )
    if subject is None:
        return
    log_action(
        obj=subject,
        action="auth.locked_out",
        by=None,
        data={
            "username": username,
            "ip_address": ip_address,
            "path": getattr(request, "axes_path_info", ""),
            "failures": failures,
            "locked_until": _locked_until(request).isoformat(),
        },
    )
