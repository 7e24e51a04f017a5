import datetime

from django.conf import settings
from django.shortcuts import render

# When the accessibility statement was last reviewed (change it with the text).
ACCESSIBILITY_REVIEWED = datetime.date(2026, 12, 6)


def accessibility(request):
    """Accessibility statement (BITV NRW requires one, with a feedback contact)."""
    return render(
        request,
        "core/accessibility.html",
        {
            "contact": settings.FM_OPERATOR_EMAIL or settings.DEFAULT_FROM_EMAIL,
            "phone": settings.FM_OPERATOR_PHONE,
            "operator": settings.FM_OPERATOR_NAME,
            "reviewed": ACCESSIBILITY_REVIEWED,
        },
    )
