"""Deep pages of a list read their ids first: the same rows, in the same order, as any page."""

from __future__ import annotations

import re

import pytest

from cooperation.generic_views import RecordPaginator
from tests import factories

pytestmark = pytest.mark.django_db


def names(page) -> list[str]:
    return re.findall(r'<th scope="row">\s*<a href="/operations/\d+/">([^<]+)</a>', page.text)


def test_a_deep_page_shows_the_rows_a_shallow_read_would(client, cast, monkeypatch):
    for number in range(7):
        factories.JointOperationFactory(name=f"Operation Heron {number}")
    factories.JointOperationFactory(
        name="Operation Hidden", sensitivity="restricted", participants=[cast.peru]
    )
    client.force_login(cast.officer)
    monkeypatch.setattr("cooperation.generic_views.RecordListView.paginate_by", 3)
    url = "/operations/?ordering=name&page=2"
    shallow = names(client.get(url))

    monkeypatch.setattr(RecordPaginator, "deferred_from", 0)
    deep = names(client.get(url))

    assert shallow == ["Operation Heron 3", "Operation Heron 4", "Operation Heron 5"]
    assert deep == shallow
    assert "Operation Hidden" not in client.get("/operations/?ordering=name&page=3").text
