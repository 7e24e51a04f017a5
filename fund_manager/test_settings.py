"""Settings for the test suite: the real settings with test-only defaults.

DATABASE_URL still selects the database, so ``make test-pg`` runs the same suite on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DJANGO_SECURE", "0")
os.environ.setdefault("DJANGO_EMAIL_URL", "locmem")
os.environ.setdefault("DJANGO_DATA_DIR", tempfile.mkdtemp(prefix="fund_manager-test-"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel workers (pytest -n 2) inherit the folder: each gets its own below it, so that
    # uploads and their clean-up of one worker never meet the other's.
    os.environ["DJANGO_DATA_DIR"] = os.path.join(
        os.environ["DJANGO_DATA_DIR"], os.environ["PYTEST_XDIST_WORKER"]
    )
    os.makedirs(os.environ["DJANGO_DATA_DIR"], exist_ok=True)

from fund_manager.settings import *  # noqa: F403
from fund_manager.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
LANGUAGE_CODE = "de"

# whitenoise warns about a missing STATIC_ROOT (no collectstatic in tests); the live server of
# the browser tests serves static files through the finders instead.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405

# django-axes stays on (its lockout is tested), but Client.login() passes no request:
# tests/axes_backend.py lets exactly those calls through.
AUTHENTICATION_BACKENDS = [
    "tests.axes_backend.AxesBackendForTestClient",
    "django.contrib.auth.backends.ModelBackend",
]

# Tests change rows directly (QuerySet.update): no cached open data between them, except where
# a test turns it on (tests/public/test_opendata.py).
FM_OPEN_DATA_CACHE_SECONDS = int(os.environ.get("FM_OPEN_DATA_CACHE_SECONDS", "0"))
