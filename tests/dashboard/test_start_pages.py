"""Every demo login reaches its own start page; navigation shows only what the role may do."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_data):
    """The whole demo, seeded once for this module (tests/conftest.py: demo_data)."""
    return demo_data


@pytest.mark.parametrize(
    ("username", "start_page"),
    [
        ("traeger", "/start/"),
        ("traeger2", "/start/"),
        ("projektbuero", "/office/"),
        ("vorsitz", "/steering/"),
        ("lenkung1", "/steering/"),
        ("lenkung2", "/steering/"),
        ("kaemmerei", "/finance/"),
        ("pruefung", "/audit/"),
        ("admin", "/admin/"),
    ],
)
def test_demo_login_lands_on_its_start_page(client, demo, username, start_page):
    response = client.post(reverse("login"), {"username": username, "password": "demo"})
    assert response.status_code == 302
    response = client.get(reverse("dashboard:home"), follow=True)
    assert response.redirect_chain[-1][0] == start_page
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        (
            "traeger",
            ["/applications/"],
            ["/applications/all/", "/finance/", "/audit/", "/reports/statistics/"],
        ),
        (
            "projektbuero",
            ["/applications/all/", "/reports/statistics/", "/reports/decisions/"],
            ["/finance/", "/audit/", "/admin/", "/reports/audit-trail/"],
        ),
        (
            "kaemmerei",
            ["/finance/", "/applications/all/", "/reports/decisions/"],
            ["/audit/", "/steering/", "/reports/audit-trail/"],
        ),
        (
            "pruefung",
            ["/reports/audit-trail/", "/applications/all/", "/reports/status-report/"],
            ["/finance/", "/applications/new/"],
        ),
        (
            "vorsitz",
            ["/steering/", "/reports/statistics/"],
            ["/finance/", "/audit/", "/reports/decisions/", "/reports/audit-trail/"],
        ),
    ],
)
def test_navigation_shows_only_what_the_role_may_do(client, demo, username, visible, hidden):
    client.login(username=username, password="demo")
    page = client.get(reverse("accessibility")).content.decode()
    nav = page.split('class="main-nav"')[1].split("</nav>")[0]
    for href in visible:
        assert f'href="{href}"' in nav
    for href in hidden:
        assert f'href="{href}"' not in nav


@pytest.mark.parametrize(
    ("username", "forbidden"),
    [
        ("traeger", ["/office/", "/steering/", "/finance/", "/audit/"]),
        ("projektbuero", ["/steering/", "/finance/", "/audit/"]),
        ("lenkung1", ["/office/", "/finance/", "/audit/"]),
        ("kaemmerei", ["/office/", "/steering/", "/audit/"]),
        ("pruefung", ["/office/", "/steering/", "/finance/"]),
    ],
)
def test_start_pages_of_other_roles_are_forbidden(client, demo, username, forbidden):
    client.login(username=username, password="demo")
    for url in forbidden:
        assert client.get(url).status_code == 403, url


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_role_is_told_what_to_do(client, django_user_model):
    user = django_user_model.objects.create_user("neu", password="x-secret-123")
    client.force_login(user)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert "dashboard/no_role.html" in [t.name for t in response.templates]


def test_password_reset_sends_a_mail(client, demo, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "traeger@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_german_is_the_default_and_english_can_be_chosen(client, demo):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert '<html lang="de">' in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login"))
    assert '<html lang="en">' in page.content.decode()
