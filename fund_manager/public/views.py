"""Public pages (no login): the funds' rounds and deadlines, the explanation in easy language,
the imprint and the privacy notice.

The rounds page shows only what the fund publishes anyway: its name and description, the
annual budget, the rounds' numbers, deadlines and session dates. No application, applicant,
amount per applicant or member of the steering group appears on it.
"""

import datetime

from django.shortcuts import render
from django.utils import timezone

from fund_manager.rounds import schedule

from .legal import legal_details

# When the privacy notice's text was last revised (change it with the text).
PRIVACY_VERSION = datetime.date(2026, 12, 7)


def rounds(request):
    today = timezone.localdate()
    return render(
        request,
        "public/rounds.html",
        {
            "year": today.year,
            "today": today,
            "overview": schedule.year_overview(today.year, today=today),
            "legal": legal_details(),
        },
    )


def easy(request):
    today = timezone.localdate()
    return render(
        request,
        "public/easy.html",
        {"next_rounds": schedule.next_open_rounds(today=today), "legal": legal_details()},
    )


def imprint(request):
    return render(request, "public/imprint.html", {"legal": legal_details()})


def privacy(request):
    return render(
        request,
        "public/privacy.html",
        {"legal": legal_details(), "version_date": PRIVACY_VERSION},
    )
