"""Deadlines in sight (issue 12): which round decides an application, the next deadline.

``{% deciding_round application as deciding %}`` answers from a per-request cache. On its
first miss it also answers for every application the page's context lists (an evaluated
queryset, a page or a list of applications), so a list of n applications costs two queries,
not 2n (``rounds.schedule.deciding_rounds``).
"""

from django import template
from django.core.paginator import Page
from django.db.models import QuerySet

from fund_manager.applications.models import Application

from .. import schedule

register = template.Library()

_CACHE_ATTR = "_fm_deciding_rounds"
_NEXT_ATTR = "_fm_next_open_rounds"


def _listed_applications(context):
    """Applications the context already holds in memory (no query is run to find them)."""
    found = []
    for layer in context.dicts:
        for value in layer.values() if isinstance(layer, dict) else ():
            items = value.object_list if isinstance(value, Page) else value
            if isinstance(items, QuerySet):
                if items.model is not Application or items._result_cache is None:
                    continue
                items = items._result_cache
            if isinstance(items, list | tuple):
                found.extend(a for a in items if isinstance(a, Application))
    return found


def _cache(context):
    request = context.get("request")
    if request is None:
        return {}
    if not hasattr(request, _CACHE_ATTR):
        setattr(request, _CACHE_ATTR, {})
    return getattr(request, _CACHE_ATTR)


@register.simple_tag(takes_context=True)
def deciding_round(context, application):
    """The ``rounds.schedule.DecidingRound`` of ``application`` (or None)."""
    if not isinstance(application, Application) or application.pk is None:
        return None
    cache = _cache(context)
    if application.pk not in cache:
        wanted = {a.pk: a for a in _listed_applications(context) if a.pk not in cache}
        wanted[application.pk] = application
        cache.update(schedule.deciding_rounds(list(wanted.values())))
    return cache.get(application.pk)


@register.simple_tag(takes_context=True)
def next_open_rounds(context):
    """The next round still open for submissions of every fund (cached per request)."""
    request = context.get("request")
    if request is not None and hasattr(request, _NEXT_ATTR):
        return getattr(request, _NEXT_ATTR)
    rounds = schedule.next_open_rounds()
    if request is not None:
        setattr(request, _NEXT_ATTR, rounds)
    return rounds
