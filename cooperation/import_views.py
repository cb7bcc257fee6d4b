"""The portal's imports: upload a file, watch the check, read every problem, confirm,
watch the import reach 100 %. The work is done by :mod:`cooperation.imports`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views import View

from cooperation import imports
from cooperation.history import REASON_MAX
from cooperation.models import ImportJob

# Problems a page lists; the rest are in the downloadable report.
PROBLEMS_SHOWN = 500


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", widget=forms.RadioSelect)
    file = forms.FileField(
        label="File",
        help_text="A .csv (UTF-8) or .xlsx file with the template's columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    mode = forms.ChoiceField(
        label="If some rows have errors",
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=REASON_MAX,
        help_text="Kept in the history of every record the import changes.",
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        if kinds:
            self.fields["kind"].initial = kinds[0][0]


def importable_kinds(user) -> list:
    return [
        (name, label)
        for name, label in imports.kind_choices()
        if imports.may_import(user, imports.kind_named(name))
    ]


class ImportListView(LoginRequiredMixin, View):
    template_name = "cooperation/import_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not importable_kinds(request.user):
            raise PermissionDenied("Only officers import records.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, form=None):
        kinds = importable_kinds(request.user)
        form = form or ImportForm(kinds=kinds)
        specs = [imports.kind_named(name) for name, _ in kinds]
        jobs = (
            ImportJob.objects.visible_to(request.user)
            .select_related("user")
            .defer("content", "problems")[:20]
        )
        return TemplateResponse(
            request,
            self.template_name,
            {"form": form, "specs": specs, "jobs": jobs, "title": "Import"},
        )

    def post(self, request):
        form = ImportForm(request.POST, request.FILES, kinds=importable_kinds(request.user))
        if not form.is_valid():
            return self.get(request, form)
        data = form.cleaned_data
        try:
            job = imports.start(
                request.user,
                kind=data["kind"],
                upload=data["file"],
                mode=data["mode"],
                reason=data["reason"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.get(request, form)
        return redirect(job)


def job_of(request, uuid) -> ImportJob:
    return get_object_or_404(ImportJob.objects.visible_to(request.user), uuid=uuid)


class ImportDetailView(LoginRequiredMixin, View):
    def get(self, request, uuid):
        job = job_of(request, uuid)
        context = {
            "job": job,
            "title": job.filename,
            "problems": job.problems[:PROBLEMS_SHOWN],
            "more_problems": max(0, len(job.problems) - PROBLEMS_SHOWN),
            "spec": imports.kind_named(job.kind),
        }
        if request.htmx:
            response = TemplateResponse(request, "cooperation/_import_progress.html", context)
            if job.finished or job.state == ImportJob.State.CHECKED:
                response["HX-Refresh"] = "true"  # the page shows the report now
            return response
        return TemplateResponse(request, "cooperation/import_detail.html", context)


class ImportConfirmView(LoginRequiredMixin, View):
    def post(self, request, uuid):
        job = job_of(request, uuid)
        try:
            imports.confirm(job, request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(job)


class ImportProblemsView(LoginRequiredMixin, View):
    def get(self, request, uuid):
        job = job_of(request, uuid)
        response = HttpResponse(imports.problems_csv(job), content_type="text/csv")
        name = job.filename.rsplit(".", 1)[0]
        response["Content-Disposition"] = f'attachment; filename="{name}-problems.csv"'
        return response


class ImportTemplateView(LoginRequiredMixin, View):
    """The empty file of an import kind, with its header and an example line."""

    def get(self, request, kind, suffix):
        if kind not in imports.KINDS or suffix not in ("csv", "xlsx"):
            raise Http404("No such template.")
        spec = imports.kind_named(kind)
        if suffix == "csv":
            response = HttpResponse(imports.template_csv(spec), content_type="text/csv")
        else:
            response = HttpResponse(
                imports.template_xlsx(spec),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{kind}-import.{suffix}"'
        return response
