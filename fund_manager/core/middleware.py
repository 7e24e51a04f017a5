from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils.cache import patch_cache_control


class GermanFirstLocaleMiddleware(LocaleMiddleware):
    """German unless the user chose another language with the switch (cookie or URL).

    The browser's Accept-Language is ignored on purpose: the fund's staff and applicants work
    in German; English is offered, not guessed.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every authenticated page and every API response.

    Nothing a signed-in person sees, and nothing the API answers, may be kept by a shared cache
    or on disk by the browser (issue 9, defect 16). Static files stay cacheable: whitenoise
    answers them before this middleware runs, and the static prefix is skipped here as well.
    Token-authenticated API requests look anonymous at this point (DRF authenticates in the
    view), hence the rule for the whole API prefix.
    """

    api_prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.static_prefix):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith(self.api_prefix) or (user and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
