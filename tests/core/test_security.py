"""Security the field expects (issue 9): login throttling, CSP and caching headers.

Defect 15: wrong passwords on the login form and the API token endpoint lock out the
combination of user name and address (django-axes) after ``AXES_FAILURE_LIMIT`` failures, for
``AXES_COOLOFF_TIME``, with a German page or a ``{detail, code}`` body and an audit entry.
Defect 16: a Content-Security-Policy on every page, ``Cache-Control: private, no-store`` on
authenticated pages and API responses, and no inline script or style in the templates.
"""

import datetime
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fund_manager.core.models import AuditEntry
from fund_manager.core.roles import Role
from tests.factories import ApplicationFactory, provider_user, user_with_role

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory
LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"
ATTEMPTS = 30
LOCKED = 429


def _form_login(client, username, password, address="127.0.0.1"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address)


def _token(username, password, address="127.0.0.1"):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def _logged_in(client):
    return "_auth_user_id" in client.session


def _lockout_entries(user):
    return AuditEntry.objects.for_object(user).filter(action="auth.locked_out")


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    """DRF's throttle counts live in the (process-wide) cache: each test starts at zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- defect 15: login throttling -----------------------------------------------------------


@pytest.mark.django_db
def test_defect_15_thirty_wrong_passwords_lock_the_login_form(client):
    user = provider_user(username="traeger")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(ATTEMPTS):
            _form_login(client, "traeger", "wrong-password")

        response = _form_login(client, "traeger", PASSWORD)

        assert response.status_code == LOCKED
        assert not _logged_in(client)
        page = response.content.decode()
        assert "registration/locked_out.html" in [t.name for t in response.templates]
        assert "Zu viele fehlgeschlagene Anmeldeversuche" in page
        assert "Bitte versuchen Sie es" in page  # formal "Sie", says when
        limit = settings.AXES_COOLOFF_TIME
        until = timezone.localtime(start + limit)
        assert f"{until:%H:%M}" in page
        assert "Projektbüro" in page  # whom to contact
        # One audit entry for the lockout, not one per further attempt.
        entries = list(_lockout_entries(user))
        assert len(entries) == 1
        assert entries[0].data["username"] == "traeger"
        assert entries[0].data["ip_address"] == "127.0.0.1"
        assert entries[0].actor is None
        assert client.get("/").status_code == 302  # still not logged in

        # After the cool-off (counted from the last attempt) the right password works again.
        clock.shift(limit + datetime.timedelta(seconds=1))
        response = _form_login(client, "traeger", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)
    assert len(_lockout_entries(user)) == 1


@pytest.mark.django_db
def test_defect_15_the_lock_holds_one_user_at_one_address(client):
    provider_user(username="traeger")
    provider_user(username="traeger2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _form_login(client, "traeger", "wrong-password")

    assert _form_login(client, "traeger", PASSWORD).status_code == LOCKED
    # The same person from another address, and another user from this address, get in.
    assert _form_login(client, "traeger", PASSWORD, address="10.0.0.7").status_code == 302
    client.logout()
    assert _form_login(client, "traeger2", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_defect_15_fewer_failures_than_the_limit_do_not_lock(client):
    provider_user(username="traeger")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _form_login(client, "traeger", "wrong-password")
        assert response.status_code == 200  # the form with its error

    assert _form_login(client, "traeger", PASSWORD).status_code == 302
    # A successful login starts the count again.
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _form_login(client, "traeger", "wrong-password")
    assert _form_login(client, "traeger", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_defect_15_an_administrator_unlocks_with_axes_reset(client):
    provider_user(username="traeger")
    for _ in range(ATTEMPTS):
        _form_login(client, "traeger", "wrong-password")
    assert _form_login(client, "traeger", PASSWORD).status_code == LOCKED

    call_command("axes_reset_username", "traeger", stdout=io.StringIO())
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username="traeger").exists()
    assert _form_login(client, "traeger", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_defect_15_unknown_user_names_are_counted_and_audited_too(client):
    for _ in range(ATTEMPTS):
        _form_login(client, "niemand", "wrong-password")

    response = _form_login(client, "niemand", "wrong-password")

    assert response.status_code == LOCKED
    entries = AuditEntry.objects.filter(action="auth.locked_out", data__username="niemand")
    assert entries.count() == 1


@pytest.mark.django_db
def test_defect_15_thirty_wrong_passwords_lock_the_token_endpoint(monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    # The rate limit would answer first (code "throttled"): this test is about the lock.
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth_token", "1000/min")
    user = provider_user(username="traeger")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        statuses = {_token("traeger", "wrong-password").status_code for _ in range(ATTEMPTS)}
        # Wrong credentials are 400 until the lock, then 429; never a token.
        assert statuses <= {400, LOCKED}

        response = _token("traeger", PASSWORD)

        assert response.status_code == LOCKED
        body = response.json()
        assert body["code"] == "locked_out"
        assert "Zu viele fehlgeschlagene Anmeldeversuche" in body["detail"]
        assert "token" not in body
        assert not Token.objects.filter(user=user).exists()
        assert len(_lockout_entries(user)) == 1
        # The web login of the same user from the same address is locked as well.
        assert _form_login(APIClient(), "traeger", PASSWORD).status_code == LOCKED

        clock.shift(settings.AXES_COOLOFF_TIME + datetime.timedelta(seconds=1))
        response = _token("traeger", PASSWORD)

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=user).key


@pytest.mark.django_db
def test_defect_15_the_token_endpoint_is_rate_limited(monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_token"]
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth_token", "3/min")
    provider_user(username="traeger")

    for _ in range(3):
        assert _token("traeger", PASSWORD).status_code == 200

    response = _token("traeger", PASSWORD)

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_defect_15_axes_guards_every_real_login():
    """Production settings: axes first among the backends, its middleware installed."""
    import importlib

    import fund_manager.settings as production

    production = importlib.reload(production)
    assert production.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert "axes.middleware.AxesMiddleware" in production.MIDDLEWARE
    assert production.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert production.AXES_FAILURE_LIMIT == 5
    cool_off = production.AXES_COOLOFF_TIME
    assert cool_off == datetime.timedelta(minutes=15)


# --- defect 16: CSP and caching headers ----------------------------------------------------


def _csp(response):
    header = response.get("Content-Security-Policy")
    assert header, f"no CSP on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_strict_csp(response):
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src", "default-src"):
        for source in csp.get(directive, []):
            assert source in {"'self'"}, f"{directive} allows {source}"


def _assert_private(response):
    cache_control = {v.strip() for v in response.get("Cache-Control", "").split(",")}
    path = response.request["PATH_INFO"]
    assert {"private", "no-store"} <= cache_control, f"{path}: {cache_control}"
    assert "public" not in cache_control


@pytest.fixture
def people(db):
    provider = provider_user(username="traeger")
    return {
        "provider": provider,
        "office": user_with_role(Role.PROJECT_OFFICE, username="projektbuero"),
        "finance": user_with_role(Role.FINANCE, username="kaemmerei"),
        "auditor": user_with_role(Role.AUDITOR, username="pruefung"),
        "chair": user_with_role(Role.CHAIR, username="vorsitz"),
        "admin": get_user_model().objects.create_superuser("admin", "a@example.org", "x-1234"),
    }


PAGES = {
    "provider": ["/applications/", "/applications/new/", "{draft}", "{draft}edit/"],
    "office": ["/office/", "/tasks/", "/applications/all/", "/rounds/", "/ledger/"],
    "finance": ["/finance/", "/ledger/"],
    "auditor": ["/audit/"],
    "chair": ["/steering/", "/rounds/"],
    "admin": ["/admin/", "/admin/core/auditentry/", "/admin/axes/accessattempt/"],
}


@pytest.mark.django_db
def test_defect_16_every_page_carries_the_csp_and_private_cache_control(client, people):
    draft = ApplicationFactory(
        organisation=people["provider"].memberships.first().organisation,
        created_by=people["provider"],
    )
    seen = 0
    for who, paths in PAGES.items():
        client.force_login(people[who])
        for path in paths:
            response = client.get(path.format(draft=f"/applications/{draft.pk}/"))
            assert response.status_code == 200, (who, path, response.status_code)
            _assert_strict_csp(response)
            _assert_private(response)
            seen += 1
        client.logout()
    assert seen == sum(len(paths) for paths in PAGES.values())


@pytest.mark.django_db
def test_defect_16_public_pages_carry_the_csp_too(client):
    for path in (LOGIN_URL, "/accessibility/", "/accounts/password_reset/"):
        response = client.get(path)
        assert response.status_code == 200
        _assert_strict_csp(response)
    # A 404 is a page as well.
    _assert_strict_csp(client.get("/gibt-es-nicht/"))


@pytest.mark.django_db
def test_defect_16_api_responses_are_private_and_not_stored(people):
    api = APIClient()
    anonymous = api.get("/api/v1/funds/")
    assert anonymous.status_code in (401, 403)
    _assert_private(anonymous)
    _assert_private(_token("traeger", PASSWORD))
    api.force_authenticate(people["office"])
    response = api.get("/api/v1/funds/")
    assert response.status_code == 200
    _assert_private(response)
    _assert_strict_csp(response)


@pytest.mark.django_db
def test_defect_16_the_api_docs_get_no_inline_allowance(client, people):
    """Swagger UI runs from the sidecar's files and a same-origin init script."""
    client.force_login(people["office"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    _assert_strict_csp(page)
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assert "<style" not in html
    script = re.search(r'<script src="([^"]*\?[^"]*script=[^"]*)"', html)
    assert script, html
    init = client.get(script.group(1).replace("&amp;", "&"))
    assert init.status_code == 200
    assert "SwaggerUIBundle" in init.content.decode()


@pytest.mark.django_db
def test_defect_16_anonymous_static_files_are_not_marked_private(people):
    """Static files stay cacheable: the middleware marks only authenticated or API responses."""
    from django.http import HttpResponse

    from fund_manager.core.middleware import PrivateCacheMiddleware

    def view(request):
        response = HttpResponse("body{}", content_type="text/css")
        response["Cache-Control"] = "max-age=31536000, public, immutable"
        return response

    middleware = PrivateCacheMiddleware(view)
    request = RequestFactory().get(f"{settings.STATIC_URL}fund_manager/app.css")
    request.user = people["provider"]
    assert middleware(request)["Cache-Control"] == "max-age=31536000, public, immutable"

    from django.contrib.auth.models import AnonymousUser

    page = RequestFactory().get("/accessibility/")
    page.user = AnonymousUser()
    assert "no-store" not in middleware(page).get("Cache-Control", "")
    page.user = people["provider"]
    _assert_cache = {v.strip() for v in middleware(page)["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= _assert_cache
    assert "public" not in _assert_cache


TEMPLATES = Path(settings.BASE_DIR) / "templates"
# WeasyPrint renders these to PDF on the server; no browser, no CSP.
SERVER_SIDE_ONLY = {TEMPLATES / "rounds" / "pdf"}
INLINE = {
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "inline script": re.compile(
        r"<script\b(?![^>]*\ssrc\s*=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE
    ),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_defect_16_templates_have_no_inline_script_or_style():
    found = []
    templates = [
        path
        for path in TEMPLATES.rglob("*.html")
        if not any(folder in path.parents for folder in SERVER_SIDE_ONLY)
    ]
    assert len(templates) > 40
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "\n".join(found)
