"""Tests of the FilterSets, one file per resource.

Parameters go through a real query string, as a browser or an API client sends them, so
repeated and comma-separated values are parsed the way they will be in production.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory


def bound(filterset_class, params: dict, *, queryset=None, user=None):
    """``filterset_class`` bound to ``params`` (a value may be a list: a repeated parameter),
    with a request from ``user`` (anonymous by default)."""
    request = RequestFactory().get(f"/?{urlencode(params, doseq=True)}")
    request.user = user or AnonymousUser()
    return filterset_class(data=request.GET, queryset=queryset, request=request)


def filtered(filterset_class, params: dict, *, queryset=None, user=None) -> list:
    """The rows ``params`` keep, after checking that they are valid and that no row comes
    back twice (in the list or in the count)."""
    filterset = bound(filterset_class, params, queryset=queryset, user=user)
    assert filterset.is_valid(), filterset.errors
    rows = list(filterset.qs)
    assert len(rows) == len(set(rows)) == filterset.qs.count()
    return rows


def errors(filterset_class, params: dict) -> dict:
    """The errors ``params`` make, after checking that there are some."""
    filterset = bound(filterset_class, params)
    assert not filterset.is_valid()
    return filterset.errors
