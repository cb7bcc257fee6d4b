"""The portal's generic pages, configured per resource rather than written per resource.

- :class:`RecordListView` — a FilterSet (the API's), a table, paging, a result count, sortable
  columns and a CSV export of exactly the rows and columns shown; the filters live in the URL.
- :class:`RecordDetailView` — one record, or a 404 when the viewer may not see it.

Both start from ``base_queryset()`` cut by ``visible_to(user)``: a page cannot forget the
visibility rule any more than an API endpoint can.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, TemplateView

from cooperation.api.renderers import csv_line
from cooperation.forms import ChangeReasonForm, panel_widgets
from cooperation.history import change_sets, revert_field, revertible, timeline
from cooperation.review import MOVES, moves_for, review
from cooperation.roles import may_change

# Parameters of a list page that are not filters.
PAGE_PARAMETERS = ("page", "export")


class RecordPaginator(Paginator):
    """Pages of a list; deep pages read their ids first.

    A page far down a large list makes PostgreSQL walk every row before it. Reading only the
    ids there lets it walk an index alone (the sort keys and ``sensitivity`` are in it), and
    the page's rows are then read by id: a "deferred join", so page 10,000 costs about what
    counting costs rather than reading half a million rows.
    """

    deferred_from = 5000  # rows skipped before a page reads its ids first

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom < self.deferred_from or not isinstance(self.object_list, QuerySet):
            return super().page(number)
        top = min(bottom + self.per_page, self.count)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class VisibleRecordsMixin:
    model = None

    def base_queryset(self):
        """The records with what their page reads loaded (``select_related`` and such)."""
        return self.model.objects.all()

    def get_queryset(self):
        queryset = self.base_queryset()
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(self.request.user)
        return queryset


class RecordListView(VisibleRecordsMixin, TemplateView):
    """A list page. Declare ``model``, ``filterset_class``, ``table_class``, ``title`` and
    ``panel`` (the filters shown in the panel, in order; any other filter still applies when
    it is in the URL)."""

    filterset_class = None
    table_class = None
    panel: tuple[str, ...] = ()
    title = ""
    intro = ""
    paginate_by = 50
    template_name = "portal/record_list.html"
    results_template = "portal/_results.html"
    export_name = "records"

    def panel_choices(self) -> dict:
        """Options of the panel's id filters, ``{"partner": [(id, name), ...]}``."""
        return {}

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        panel_widgets(filterset.form, self.panel_choices())
        valid = filterset.is_valid()
        queryset = filterset.qs if valid else filterset.queryset.none()
        if valid and request.GET.get("export") == "csv":
            return self.export(queryset)
        paginator = RecordPaginator(queryset, self.paginate_by)
        page = paginator.get_page(request.GET.get("page"))
        table = self.table_class(page.object_list, ordering=request.GET.get("ordering", ""))
        form = filterset.form
        context = self.get_context_data(
            filterset=filterset,
            form=form,
            panel_fields=[form[name] for name in self.panel if name in form.fields],
            kept_parameters=[
                (name, value)
                for name, values in request.GET.lists()
                if name not in self.panel and name not in PAGE_PARAMETERS
                for value in values
            ],
            filtered=any(name not in PAGE_PARAMETERS for name in request.GET),
            valid=valid,
            page=page,
            paginator=paginator,
            table=table,
            title=self.title,
            intro=self.intro,
            breadcrumbs=[(self.title, request.path)],
        )
        # htmx asks for the results alone when the panel changes; the URL it pushes is the
        # full page's, so a reload or a shared link shows the same.
        partial = request.htmx and request.htmx.target == "results"
        return TemplateResponse(
            request, self.results_template if partial else self.template_name, context
        )

    def export(self, queryset):
        """Every row the filters keep, in the order shown, under the columns shown; streamed,
        and each cell guarded against spreadsheet formulas."""
        table = self.table_class(queryset)
        lines = (csv_line(row) for row in table.csv_rows(queryset.iterator(chunk_size=1000)))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.export_name}.csv"'
        return response


class RecordDetailView(VisibleRecordsMixin, DetailView):
    """One record; a record the viewer may not see is a 404, like one that does not exist."""

    list_title = ""
    list_url_name = ""
    # The API route of the record's history (``api:operation-history``): when set, the page
    # shows the record's latest change sets (template ``portal/_history.html``).
    history_route = ""
    revert_route = ""  # the portal route restoring an earlier value (officers)
    review_route = ""  # the portal route moving the record through its review
    history_shown = 30

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = [
            (self.list_title, reverse(self.list_url_name)),
            (str(self.object), self.request.path),
        ]
        if self.review_route:
            context.update(
                review_moves=[(name, MOVES[name].label) for name in moves_for(
                    self.request.user, self.object)],
                review_url=reverse(self.review_route, args=[self.object.pk]),
            )  # fmt: skip
        if self.history_route:
            sets = change_sets(timeline(self.object, self.request.user))
            context.update(
                history=sets[: self.history_shown],
                history_more=len(sets) > self.history_shown,
                history_api=reverse(self.history_route, args=[self.object.pk]),
            )
            if self.revert_route and may_change(self.request.user, self.object):
                context.update(
                    history_revert=reverse(self.revert_route, args=[self.object.pk]),
                    history_own=type(self.object).pgh_event_model._meta.label,
                    history_revertible=[f.name for f in revertible(type(self.object))],
                )
        return context


def _given_reason(request) -> tuple[str, list[str]]:
    """The reason a portal button sent, checked by the edit forms' own field: (reason,
    errors)."""
    form = ChangeReasonForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["reason"], []
    return "", [message for messages_ in form.errors.values() for message in messages_]


class RevertView(LoginRequiredMixin, View):
    """POST from a record's timeline: restore one field's value from before a change
    (:func:`~cooperation.history.revert_field`), then back to the record's history with
    what happened said on top of the page."""

    model = None

    def post(self, request, pk):
        records = self.model.objects.visible_to(request.user)
        record = get_object_or_404(records, pk=pk)
        reason, refused = _given_reason(request)
        try:
            if refused:
                raise ValidationError(refused)
            restored = revert_field(
                records,
                pk,
                event_id=request.POST.get("event", ""),
                field=request.POST.get("field", ""),
                user=request.user,
                reason=reason,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, f"Nothing was restored: {message}")
            return redirect(f"{record.get_absolute_url()}#history")
        messages.success(request, "The earlier value was restored; the history records it.")
        return redirect(f"{restored.get_absolute_url()}#history")


class ReviewView(LoginRequiredMixin, View):
    """POST from a record's page: move it through its review
    (:func:`~cooperation.review.review`), then back to the page with what happened said."""

    model = None

    def post(self, request, pk):
        records = self.model.objects.visible_to(request.user)
        record = get_object_or_404(records, pk=pk)
        reason, refused = _given_reason(request)
        try:
            if refused:
                raise ValidationError(refused)
            moved = review(
                records, pk, move=request.POST.get("move", ""), user=request.user, reason=reason
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, f"Nothing changed: {message}")
            return redirect(record.get_absolute_url())
        messages.success(request, f"{moved} is now {moved.get_review_state_display().lower()}.")
        return redirect(moved.get_absolute_url())
