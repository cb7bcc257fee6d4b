"""Paging for people and for machines.

Page numbers (``?page=``, ``?page_size=``) with a total count suit browsing. A bulk pull asks
for ``?cursor=`` (empty for the first page): rows come in id order, which new writes cannot
reshuffle, and no ``COUNT(*)`` is run — the cost of a page does not grow with its depth.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_PAGE_SIZE = 1000


class PageNumbers(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class Cursor(CursorPagination):
    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class PortalPagination:
    """Page numbers by default; a cursor once the request carries ``cursor``."""

    def __init__(self):
        self.pages = PageNumbers()
        self.cursor = Cursor()
        self.active = self.pages

    def paginate_queryset(self, queryset, request, view=None):
        self.active = self.cursor if "cursor" in request.query_params else self.pages
        return self.active.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return self.active.get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        page_schema = self.pages.get_paginated_response_schema(schema)
        page_schema["properties"]["count"]["description"] = "Absent when paging by cursor."
        page_schema["required"] = ["results"]
        return page_schema

    def get_schema_operation_parameters(self, view):
        parameters = self.pages.get_schema_operation_parameters(view)
        cursor = self.cursor.get_schema_operation_parameters(view)[0]
        cursor["schema"] = {"type": "string"}
        cursor["description"] = (
            "Page by cursor in id order without a total count (send it empty for the first "
            "page, then follow `next`): for bulk pulls and incremental sync."
        )
        return [*parameters, cursor]

    def to_html(self):
        return self.active.to_html()

    @property
    def display_page_controls(self):
        return False
