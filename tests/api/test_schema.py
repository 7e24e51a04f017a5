import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

API_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/funds/",
    "/api/v1/action-fields/",
    "/api/v1/target-groups/",
    "/api/v1/fiscal-years/",
    "/api/v1/applications/",
    "/api/v1/applications/{id}/",
    "/api/v1/applications/{id}/submit/",
    "/api/v1/applications/{id}/withdraw/",
    "/api/v1/applications/{id}/history/",
]


@pytest.mark.django_db
def test_schema_is_served():
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert set(API_PATHS) <= set(response.json()["paths"])


def test_schema_generates_without_warnings_or_errors():
    reset_generator_stats()

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    validate_schema(schema)
    application = schema["components"]["schemas"]["Application"]["properties"]
    assert application["requested_amount"]["readOnly"] is True
    assert application["own_funds"]["type"] == "string"
    patch = schema["components"]["schemas"]["PatchedApplicationRequest"]["properties"]
    assert not {"state", "organisation", "round", "approved_amount"} & set(patch)


def test_spectacular_command_validates_and_fails_on_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/applications/{id}/submit/" in target.read_text()


@pytest.mark.django_db
def test_docs_page_works_offline():
    client = APIClient()

    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html
    assert "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # The init script is served from the same view (?script, no inline script for the CSP).
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


@pytest.mark.parametrize(
    "name", ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]
)
def test_docs_assets_are_shipped_as_static_files(name):
    assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}")
