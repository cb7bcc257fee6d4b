"""Choosing a record by typing part of its name.

:class:`Autocomplete` is a text box that asks the server for suggestions as one types (htmx)
and keeps the chosen key in a hidden input, or several keys for a many-valued field;
``static/js/autocomplete.js`` makes the suggestions a keyboard-usable listbox. The
suggestions come from a :class:`Suggestions` view per resource, which reads what was typed
with the resource's own FilterSet (its ``q``, as on the list page and in the API) and starts
from ``visible_to(user)``: a suggestion is always a record the user may open. The form field
behind the box checks a submitted key against visible records too (the field's queryset), so
a key typed by hand fares no better than one picked from the list.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from agreements.filters import AgreementFilterSet
from agreements.models import Agreement
from cooperation.filters import CountryFilterSet, PartnerFilterSet
from cooperation.models import Country, Partner


class Suggestions(View):
    """Records matching ``?q=`` (and any other filter of the FilterSet), as listbox options.

    Declare ``model``, ``filterset_class`` and ``url_name``; :meth:`label` names a record in
    the box once chosen, :meth:`detail` adds what tells two similar names apart."""

    model = None
    filterset_class = None
    url_name = ""
    limit = 15
    template_name = "portal/_suggestions.html"

    def base_queryset(self):
        return self.model.objects.all()

    @staticmethod
    def label(record) -> str:
        return str(record)

    @staticmethod
    def detail(record) -> str:
        return ""

    def get(self, request):
        queryset = self.base_queryset()
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(request.user)
        filterset = self.filterset_class(request.GET, queryset=queryset, request=request)
        records = list(filterset.qs[: self.limit + 1]) if filterset.is_valid() else []
        options = [
            {"value": record.pk, "label": self.label(record), "detail": self.detail(record)}
            for record in records[: self.limit]
        ]
        return TemplateResponse(
            request,
            self.template_name,
            {"options": options, "more": len(records) > self.limit, "q": request.GET.get("q", "")},
        )


class PartnerSuggestions(Suggestions):
    model = Partner
    filterset_class = PartnerFilterSet
    url_name = "autocomplete:partners"

    def base_queryset(self):
        return Partner.objects.filter(is_active=True).order_by("name", "id")

    @staticmethod
    def label(record) -> str:
        return record.display_name

    @staticmethod
    def detail(record) -> str:
        return " · ".join(filter(None, [record.get_kind_display(), record.country_id]))


class CountrySuggestions(Suggestions):
    model = Country
    filterset_class = CountryFilterSet
    url_name = "autocomplete:countries"

    def base_queryset(self):
        return Country.objects.order_by("name")

    @staticmethod
    def detail(record) -> str:
        return record.pk


class AgreementSuggestions(Suggestions):
    model = Agreement
    filterset_class = AgreementFilterSet
    url_name = "autocomplete:agreements"

    def base_queryset(self):
        return Agreement.objects.order_by("-signed_on", "title", "id")

    @staticmethod
    def detail(record) -> str:
        signed = f"signed {record.signed_on:%Y}" if record.signed_on else "not signed"
        return f"{record.get_kind_display()} · {signed}"


class Autocomplete(forms.Widget):
    """The widget of a ``ModelChoiceField`` (or, with ``multiple=True``, of a
    ``ModelMultipleChoiceField``) whose options are too many for a list: suggestions come
    from ``source`` (a :class:`Suggestions` view). The chosen records are read through the
    field's queryset, so a key the user may not see shows nothing."""

    template_name = "portal/widgets/autocomplete.html"

    def __init__(self, source: type[Suggestions], *, multiple: bool = False, attrs=None):
        super().__init__(attrs)
        self.source = source
        self.allow_multiple_selected = multiple
        self.choices = ()  # the field's ModelChoiceIterator, set by the field
        self.known = None  # {key: record} when read for several forms at once (read_together)

    def keys(self, values) -> list:
        """The keys ``values`` name, in their order; values that cannot be keys are left out."""
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return []
        pk = queryset.model._meta.pk
        keys = []
        for value in values:
            try:
                keys.append(pk.to_python(value))
            except ValidationError:
                continue
        return [key for key in keys if key not in (None, "")]

    def read(self, keys) -> dict:
        """The records of ``keys`` the field may choose, by key."""
        if not keys:
            return {}
        return {record.pk: record for record in self.choices.queryset.filter(pk__in=keys)}

    def chosen(self, values) -> list[dict]:
        """``{"value", "label"}`` of the records named by ``values``, in that order."""
        keys = self.keys(values)
        if not keys:
            return []
        found = self.known if self.known is not None else self.read(keys)
        return [
            {"value": key, "label": self.source.label(found[key])} for key in keys if key in found
        ]

    def format_value(self, value):
        if value is None or value == "":
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [str(item) for item in value if item not in (None, "")]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        if self.allow_multiple_selected:
            # The box may rightly stay empty once records are chosen: the browser must not
            # insist on it.
            widget["attrs"].pop("required", None)
        chosen = self.chosen(widget["value"])
        widget.update(
            url=reverse(self.source.url_name),
            multiple=self.allow_multiple_selected,
            chosen=chosen,
            # A key that names nothing the user may see is dropped: the box starts empty.
            value=chosen[0]["value"] if chosen else "",
            text=chosen[0]["label"] if chosen and not self.allow_multiple_selected else "",
        )
        return context

    def value_from_datadict(self, data, files, name):
        if self.allow_multiple_selected:
            return data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        # Nothing chosen sends no hidden input at all: not the same as a field left out.
        return False if self.allow_multiple_selected else name not in data


def read_together(rows) -> None:
    """Read what the rows of a formset show once for all of them, not once a row: the records
    chosen in each autocomplete (through the first row's field, whose queryset is every
    row's), and each list of choices of a select."""
    if not rows:
        return
    for name, field in rows[0].fields.items():
        if isinstance(field.widget, Autocomplete):
            values = []
            for form in rows:
                values += field.widget.format_value(form[name].value())
            known = field.widget.read(field.widget.keys(values))
            for form in rows:
                form.fields[name].widget.known = known
        elif isinstance(field, forms.ModelChoiceField) and isinstance(
            field.widget, forms.widgets.ChoiceWidget
        ):  # a list shown to choose from; not a row's hidden key
            choices = list(field.choices)
            for form in rows:
                form.fields[name].choices = choices
