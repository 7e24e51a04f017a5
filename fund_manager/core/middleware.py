from django.middleware.locale import LocaleMiddleware


class GermanFirstLocaleMiddleware(LocaleMiddleware):
    """German unless the user chose another language with the switch (cookie or URL).

    The browser's Accept-Language is ignored on purpose: the fund's staff and applicants work
    in German; English is offered, not guessed.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
