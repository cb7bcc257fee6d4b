"""Form pieces shared by the portal's pages.

The filter panel of a list page is the resource's FilterSet form — the very fields the API
reads — shown with widgets made for people: check boxes for short vocabularies, lists for
long ones, date pickers for days. The widgets read values exactly as the API's do (repeated
or comma-separated), so a URL means the same on both sides and can be bookmarked or shared.
"""

from __future__ import annotations

from django import forms

from cooperation.filters import (
    ChoicesField,
    IdsField,
    MultipleValueWidget,
    ReferenceCodesField,
)
from cooperation.history import REASON_MAX, give_reason

# A vocabulary longer than this is a list box rather than check boxes.
CHECKBOX_LIMIT = 12


class _ReadsLikeTheApi:
    value_from_datadict = MultipleValueWidget.value_from_datadict
    value_omitted_from_data = MultipleValueWidget.value_omitted_from_data

    def format_value(self, value):
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [str(item) for item in value]


class CheckboxChoices(_ReadsLikeTheApi, forms.CheckboxSelectMultiple):
    pass


class ListChoices(_ReadsLikeTheApi, forms.SelectMultiple):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attrs.setdefault("size", 6)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(*args, **kwargs)


def vocabulary(field) -> list[tuple[str, str]]:
    """The choices a multiple-value filter field accepts, as (value, label) pairs."""
    if isinstance(field, ChoicesField):
        return [(str(value), str(label)) for value, label in field.item_field.choices]
    if isinstance(field, ReferenceCodesField):
        return [(str(row.pk), str(row)) for row in field.queryset]
    return []


def panel_widgets(form, choices: dict | None = None) -> None:
    """Give the fields of a FilterSet ``form`` the widgets of the filter panel.

    ``choices`` supplies the options of id filters (``{"partner": [(id, name), ...]}``),
    which, unlike vocabularies, have no fixed list of their own.
    """
    choices = choices or {}
    for name, field in form.fields.items():
        if name in choices:
            field.widget = ListChoices(choices=choices[name])
        elif isinstance(field, ChoicesField | ReferenceCodesField):
            options = vocabulary(field)
            widget = CheckboxChoices if len(options) <= CHECKBOX_LIMIT else ListChoices
            field.widget = widget(choices=options)
        elif isinstance(field, IdsField):
            field.widget.attrs.setdefault("inputmode", "numeric")
        elif isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
            field.widget = DateInput()
        elif name == "q":
            field.widget = forms.TextInput(attrs={"type": "search"})


class ChangeReasonForm(forms.Form):
    """Every edit form may say why the change is made; the reason goes into the record's
    history with the change (:meth:`give_reason`, called by the write inside its change
    set)."""

    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX,
        label="Reason for the change",
        help_text="Optional. Kept in the record's history with what you changed.",
    )

    def give_reason(self) -> None:
        give_reason(self.cleaned_data.get("reason", ""))
