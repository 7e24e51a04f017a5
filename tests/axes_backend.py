"""Test settings only: django-axes for a suite that also logs in with ``Client.login``.

Django's test client calls ``authenticate()`` without a request, which axes refuses
(``AxesBackendRequestParameterRequired``). Without a request there is no client to throttle,
so this backend lets such calls through; every HTTP login (the form, the API token endpoint,
the admin) passes its request and is throttled exactly as in production
(tests/core/test_security.py). Production uses ``axes.backends.AxesStandaloneBackend``.
"""

from axes.backends import AxesStandaloneBackend


class AxesBackendForTestClient(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
