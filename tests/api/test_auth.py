import pytest
from rest_framework.test import APIClient

from tests.factories import provider_user

TOKEN_URL = "/api/v1/auth/token/"


@pytest.mark.django_db
def test_token_for_good_credentials_authenticates_later_requests():
    provider_user(username="traeger")
    client = APIClient()

    response = client.post(
        TOKEN_URL, {"username": "traeger", "password": "secret-pass-123"}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/funds/").status_code == 200
    # Asking again returns the same token.
    again = APIClient().post(
        TOKEN_URL, {"username": "traeger", "password": "secret-pass-123"}, format="json"
    )
    assert again.json() == {"token": token}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"username": "traeger", "password": "wrong"},
        {"username": "nobody", "password": "secret-pass-123"},
    ],
)
def test_bad_credentials_are_a_400_with_a_message(body):
    provider_user(username="traeger")

    response = APIClient().post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"][0]
    assert "token" not in response.json()


@pytest.mark.django_db
def test_missing_password_is_a_field_error():
    response = APIClient().post(TOKEN_URL, {"username": "traeger"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


@pytest.mark.django_db
def test_a_stale_session_does_not_block_the_token_endpoint(client):
    user = provider_user(username="traeger")
    client.force_login(user)
    api = APIClient(enforce_csrf_checks=True)
    api.cookies = client.cookies

    response = api.post(
        TOKEN_URL, {"username": "traeger", "password": "secret-pass-123"}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/funds/",
        "/api/v1/action-fields/",
        "/api/v1/target-groups/",
        "/api/v1/fiscal-years/",
        "/api/v1/applications/",
        "/api/v1/applications/1/",
    ],
)
def test_without_credentials_is_401(url):
    response = APIClient().get(url)

    assert response.status_code == 401


@pytest.mark.django_db
def test_wrong_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/api/v1/applications/").status_code == 401


@pytest.mark.django_db
def test_browser_session_works_for_reads(client, provider):
    client.force_login(provider)

    assert client.get("/api/v1/applications/").status_code == 200
