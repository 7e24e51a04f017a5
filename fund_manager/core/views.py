from django.conf import settings
from django.shortcuts import render


def accessibility(request):
    """Accessibility statement (BITV NRW requires one, with a feedback contact)."""
    return render(request, "core/accessibility.html", {"contact": settings.DEFAULT_FROM_EMAIL})
