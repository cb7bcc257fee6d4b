from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Case, Prefetch, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.views import View

from cooperation.generic_views import RecordDetailView, RecordListView
from cooperation.views import ViewerOnceMixin
from operations.filters import JointOperationFilterSet
from operations.forms import (
    ImpactReportForm,
    JournalEntryForm,
    LegalBasisRows,
    OperationForm,
    ParticipationRows,
    SeizureRows,
)
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)
from operations.services import operation_child_add, operation_save
from operations.tables import JointOperationTable


class OperationListView(RecordListView):
    model = JointOperation
    filterset_class = JointOperationFilterSet
    table_class = JointOperationTable
    title = "Operations"
    intro = "Joint operations with their participants, legal basis and outcomes."
    export_name = "operations"
    panel = (
        "q",
        "status",
        "kind",
        "country",
        "region",
        "partner_role",
        "substance_group",
        "substance",
        "started_after",
        "started_before",
        "sensitivity",
        "review_state",
        "ordering",
    )

    def base_queryset(self):
        return (
            JointOperation.objects.select_related("kind")
            .prefetch_related(
                "countries",
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("partner").order_by(
                        "role", "partner__name"
                    ),
                ),
            )
            .order_by("-started_on", "-id")
        )


class OperationDetailView(RecordDetailView):
    model = JointOperation
    template_name = "operations/jointoperation_detail.html"
    list_title = "Operations"
    list_url_name = "operations:list"
    context_object_name = "operation"
    history_route = "api:operation-history"
    revert_route = "operations:revert"
    review_route = "operations:review"

    def base_queryset(self):
        return JointOperation.objects.select_related("kind").prefetch_related(
            "countries",
            "technologies",
            "shared_with",
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("partner", "partner__country")
                .annotate(rank=role_rank())
                .order_by("rank", "partner__name"),
            ),
            # Only the agreements the viewer may see: the others are not even named.
            Prefetch(
                "legal_bases",
                queryset=LegalBasis.objects.citing_visible_agreements(self.request.user)
                .select_related("agreement")
                .order_by("agreement__title", "id"),
            ),
            Prefetch(
                "seizures",
                queryset=Seizure.objects.select_related(
                    "substance", "country", "origin_country", "destination_country"
                )
                .prefetch_related("transit_countries")
                .order_by("seized_on", "id"),
            ),
            Prefetch(
                "impact_reports",
                queryset=CommunityImpactReport.objects.select_related("country").order_by(
                    "-occurred_on", "-id"
                ),
            ),
            Prefetch(
                "journal_entries",
                queryset=JournalEntry.objects.select_related("author", "author_partner").order_by(
                    "-occurred_at", "-id"
                ),
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seizures = self.object.seizures.all()
        converted = [s.kg_equivalent for s in seizures if s.kg_equivalent is not None]
        context.update(
            seizure_total_kg=sum(converted) if converted else None,
            unconverted_seizures=len(seizures) - len(converted),
        )
        return context


def role_rank():
    """Participants in the order of their roles' importance (lead first), not alphabetical."""
    roles = list(Participation.Role.values)
    return Case(
        *[When(role=role, then=Value(rank)) for rank, role in enumerate(roles)],
        default=Value(len(roles)),
    )


class OfficerOnly(ViewerOnceMixin, PermissionRequiredMixin):
    """Pages that write: anonymous visitors are sent to sign in, users without the model
    permission get 403. The record itself, when there is one, must be visible (else 404)."""


class OperationEditView(OfficerOnly, View):
    """Log a new operation (``pk`` absent) or correct one, with its participants, legal
    basis and seizures in one form; the write is :func:`~operations.services.operation_save`."""

    template_name = "operations/jointoperation_form.html"

    def get_permission_required(self):
        action = "change" if "pk" in self.kwargs else "add"
        return [f"operations.{action}_jointoperation"]

    def operation(self) -> JointOperation:
        if "pk" not in self.kwargs:
            return JointOperation()
        operation = get_object_or_404(
            JointOperation.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        self.stored_name = operation.name  # the form may change it before the page is shown
        return operation

    def forms(self, operation, data=None):
        user = self.request.user
        form = OperationForm(data, instance=operation, user=user)
        rows = {"instance": operation, "form_kwargs": {"user": user}}
        formsets = {
            "participants": ParticipationRows(
                data,
                queryset=Participation.objects.select_related("partner").order_by("id"),
                **rows,
            ),
            "legal_basis": LegalBasisRows(
                data,
                # Rows citing an agreement the user may not see are neither shown nor touched.
                queryset=LegalBasis.objects.citing_visible_agreements(user)
                .select_related("agreement")
                .order_by("id"),
                **rows,
            ),
            "seizures": SeizureRows(
                data,
                queryset=Seizure.objects.select_related("substance")
                .prefetch_related("transit_countries")
                .order_by("seized_on", "id"),
                **rows,
            ),
        }
        if data is None and operation.pk is None:
            formsets["participants"].extra = 1  # a new operation starts with one participant
        return form, formsets

    def render(self, operation, form, formsets):
        editing = "pk" in self.kwargs
        title = f"Edit {self.stored_name}" if editing else "Log an operation"
        crumbs = [("Operations", reverse("operations:list"))]
        if editing:
            crumbs.append((self.stored_name, operation.get_absolute_url()))
        crumbs.append(("Edit" if editing else "Log an operation", self.request.path))
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "operation": operation if editing else None,
                "form": form,
                "formsets": formsets,
                "title": title,
                "breadcrumbs": crumbs,
                "errors": bool(form.errors)
                or any(formset.total_error_count() for formset in formsets.values()),
            },
        )

    def get(self, request, *args, **kwargs):
        operation = self.operation()
        return self.render(operation, *self.forms(operation))

    def post(self, request, *args, **kwargs):
        operation = self.operation()
        form, formsets = self.forms(operation, request.POST)
        valid = [form.is_valid()] + [formset.is_valid() for formset in formsets.values()]
        if all(valid):
            saved = operation_save(user=request.user, form=form, formsets=list(formsets.values()))
            if saved is not None:
                verb = "saved" if "pk" in kwargs else "logged"
                messages.success(request, f"{saved} was {verb}.")
                return redirect(saved)
        return self.render(operation, form, formsets)


class OperationChildCreateView(OfficerOnly, View):
    """Add a row to an operation from its page: a journal entry, an impact report."""

    form_class = None
    template_name = "operations/child_form.html"
    title = ""
    anchor = ""
    saved_message = ""

    def get_operation(self):
        return get_object_or_404(
            JointOperation.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )

    def extra_fields(self) -> dict:
        return {}

    def render(self, operation, form):
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "operation": operation,
                "form": form,
                "title": self.title,
                "legend": capfirst(form._meta.model._meta.verbose_name),
                "breadcrumbs": [
                    ("Operations", reverse("operations:list")),
                    (str(operation), operation.get_absolute_url()),
                    (self.title, self.request.path),
                ],
            },
        )

    def get(self, request, *args, **kwargs):
        operation = self.get_operation()
        return self.render(operation, self.form_class(user=request.user, operation=operation))

    def post(self, request, *args, **kwargs):
        operation = self.get_operation()
        form = self.form_class(request.POST, user=request.user, operation=operation)
        if form.is_valid():
            row = operation_child_add(user=request.user, form=form, **self.extra_fields())
            if row is not None:
                messages.success(request, self.saved_message)
                return redirect(f"{operation.get_absolute_url()}#{self.anchor}")
        return self.render(operation, form)


class JournalEntryCreateView(OperationChildCreateView):
    form_class = JournalEntryForm
    permission_required = "operations.add_journalentry"
    title = "Add a journal entry"
    anchor = "journal"
    saved_message = "The journal entry was added."

    def extra_fields(self) -> dict:
        return {"author": self.request.user}


class ImpactReportCreateView(OperationChildCreateView):
    form_class = ImpactReportForm
    permission_required = "operations.add_communityimpactreport"
    title = "Add a community impact report"
    anchor = "impact"
    saved_message = "The impact report was added."
