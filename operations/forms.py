"""Forms of the operations pages: an operation with its participants, legal basis and
seizures (edited together, as formsets), and the journal entries and community impact reports
added to it later.

Each form validates what it can alone (fields, ``full_clean()`` of its row); rows are checked
against each other by their formset, with the error beside the field that repeats; and the
service (:mod:`operations.services`) checks them against the database as it writes.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.timezone import localtime

from agreements.models import Agreement
from cooperation.autocomplete import (
    AgreementSuggestions,
    Autocomplete,
    CountrySuggestions,
    PartnerSuggestions,
    read_together,
)
from cooperation.constraints import constraint_message
from cooperation.forms import ChangeReasonForm, DateInput
from cooperation.models import Partner
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)


def plain_decimals(form, *names) -> None:
    """Show stored decimals as typed (``1200``, not ``1200.000``) in an unbound form."""
    for name in names:
        value = form.initial.get(name)
        if isinstance(value, Decimal):
            text = f"{value:f}"
            form.initial[name] = text.rstrip("0").rstrip(".") if "." in text else text


class OperationForm(ChangeReasonForm, forms.ModelForm):
    """The operation itself. ``version`` travels with the form so that the service can refuse
    an edit made to a version someone else has replaced meanwhile."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = JointOperation
        fields = [
            "name",
            "kind",
            "status",
            "started_on",
            "ended_on",
            "summary",
            "countries",
            "technologies",
            "arrests",
            "labs_dismantled",
            "hectares_eradicated",
            "assets_seized_usd",
            "sensitivity",
            "shared_with",
        ]
        widgets = {
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "countries": Autocomplete(CountrySuggestions, multiple=True),
            "technologies": forms.CheckboxSelectMultiple,
            "sensitivity": forms.RadioSelect,
            "shared_with": Autocomplete(PartnerSuggestions, multiple=True),
        }
        help_texts = {
            "shared_with": "Partners that may see a restricted operation without taking part.",
            "countries": "Where it took place.",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version_for(user)
        plain_decimals(self, "hectares_eradicated", "assets_seized_usd")
        self.fields["sensitivity"].help_text = (
            "Public: everyone. Partners: every signed-in user. Restricted: the partners taking "
            "part, those it is shared with, and administrators."
        )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            # Told now, with any other error; the save checks again with the row locked.
            self.is_current(self.instance)
        return cleaned

    def is_current(self, stored: JointOperation) -> bool:
        """Whether the form was opened at the version ``stored`` is at; if not, say why the
        edit is refused, so that nobody's changes are silently overwritten."""
        if self.cleaned_data.get("version") == stored.version_for(self.user):
            return True
        who = stored.updated_by.get_username() if stored.updated_by else "someone else"
        when = date_format(localtime(stored.updated_at), "j M Y, H:i")
        self.add_error(
            None,
            "Someone changed this operation or its participants, legal basis or seizures after "
            "you opened this form, so your changes were not saved, to keep theirs (the operation "
            f"itself was last saved by {who}, {when} UTC). Open the operation to see what "
            "changed, then edit it again.",
        )
        return False


class RowForm(forms.ModelForm):
    """A row of an operation, edited in a formset."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_unique(self):
        """Not here: a row's duplicate may be another row of the same form, being changed or
        removed in the same save. The formset compares the rows; the service, writing them
        after the removed ones are gone, checks them against the database."""


class ParticipationForm(RowForm):
    class Meta:
        model = Participation
        fields = ["partner", "role", "personnel", "contribution"]
        widgets = {
            "partner": Autocomplete(PartnerSuggestions),
            "contribution": forms.TextInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.all()
        self.fields["personnel"].widget.attrs.setdefault("min", 0)


class LegalBasisForm(RowForm):
    class Meta:
        model = LegalBasis
        fields = ["agreement", "article"]
        widgets = {"agreement": Autocomplete(AgreementSuggestions)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An officer may only cite what they may see: a key typed by hand is checked too.
        field = self.fields["agreement"]
        field.queryset = Agreement.objects.visible_to(self.user)
        field.error_messages["invalid_choice"] = (
            "Choose an agreement from the suggestions: there is none you may see with this key."
        )


class SeizureForm(RowForm):
    class Meta:
        model = Seizure
        fields = [
            "substance",
            "quantity",
            "unit",
            "mass_per_unit_kg",
            "seized_on",
            "country",
            "location",
            "transport_mode",
            "forensic_status",
            "origin_country",
            "transit_countries",
            "destination_country",
            "notes",
        ]
        widgets = {
            "seized_on": DateInput(),
            "country": Autocomplete(CountrySuggestions),
            "origin_country": Autocomplete(CountrySuggestions),
            "transit_countries": Autocomplete(CountrySuggestions, multiple=True),
            "destination_country": Autocomplete(CountrySuggestions),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"country": "Country where seized", "mass_per_unit_kg": "Mass per unit (kg)"}
        help_texts = {"mass_per_unit_kg": "Only for units or plants: converts them to kg."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_decimals(self, "quantity", "mass_per_unit_kg")


class RowFormSet(BaseInlineFormSet):
    """Rows of one operation. ``unique_rows`` maps a field whose value may appear in one row
    only to the database constraint that says so (whose words the error uses)."""

    unique_rows: dict[str, str] = {}

    @cached_property
    def forms(self):
        rows = super().forms
        read_together(rows)
        return rows

    def _construct_form(self, i, **kwargs):
        # The rows see the operation as the user is editing it (its new dates), not as
        # stored: a seizure's date is checked against the operation's dates being sent.
        form = super()._construct_form(i, **kwargs)
        setattr(form.instance, self.fk.name, self.instance)
        return form

    def live_forms(self) -> list:
        """The rows that will be kept: filled in, valid so far, not marked for removal."""
        return [
            form
            for form in self.forms
            if form not in self.deleted_forms
            and (form.instance.pk or form.has_changed())
            and form.is_valid()
        ]

    def validate_unique(self):
        """Replaced by :meth:`clean`, which puts each error beside the repeated field rather
        than above the rows."""

    def clean(self):
        super().clean()
        for field, constraint in self.unique_rows.items():
            seen = set()
            for form in self.live_forms():
                value = form.cleaned_data.get(field)
                if value is None:
                    continue
                if value.pk in seen:
                    form.add_error(field, constraint_message(self.model, constraint))
                seen.add(value.pk)


class ParticipationFormSet(RowFormSet):
    unique_rows = {"partner": "participation_unique"}

    def clean(self):
        super().clean()
        leads = [
            form
            for form in self.live_forms()
            if form.cleaned_data.get("role") == Participation.Role.LEAD
        ]
        for form in leads[1:]:
            form.add_error("role", constraint_message(Participation, "participation_one_lead"))


class LegalBasisFormSet(RowFormSet):
    unique_rows = {"agreement": "legal_basis_unique"}


def _rows(model, form, formset, **kwargs):
    return inlineformset_factory(
        JointOperation, model, form=form, formset=formset, extra=0, can_delete=True, **kwargs
    )


ParticipationRows = _rows(Participation, ParticipationForm, ParticipationFormSet)
LegalBasisRows = _rows(LegalBasis, LegalBasisForm, LegalBasisFormSet)
SeizureRows = _rows(Seizure, SeizureForm, RowFormSet)


class OperationChildForm(ChangeReasonForm, forms.ModelForm):
    """A journal entry or an impact report, added to one operation. ``wide_fields`` take a
    whole line of the form."""

    wide_fields: tuple[str, ...] = ()

    def __init__(self, *args, user, operation, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.instance.operation = operation


class JournalEntryForm(OperationChildForm):
    wide_fields = ("kind", "title", "body")

    class Meta:
        model = JournalEntry
        fields = ["kind", "occurred_at", "title", "body", "author_partner"]
        widgets = {
            "kind": forms.RadioSelect,
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "body": forms.Textarea(attrs={"rows": 8}),
        }
        labels = {"occurred_at": "Date and time (UTC)", "author_partner": "Written for"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons need no "nothing chosen" button.
        self.fields["kind"].choices = JournalEntry.Kind.choices
        # One writes for a partner one acts for, if for any: by default the one of one's
        # own affiliation rather than one of its agencies.
        field = self.fields["author_partner"]
        field.queryset = Partner.objects.represented_by(self.user).order_by("name")
        field.empty_label = "—"
        if not self.is_bound and (own := self.user.partners.order_by("name").first()):
            self.initial.setdefault("author_partner", own.pk)


class ImpactReportForm(OperationChildForm):
    wide_fields = ("description", "follow_up")

    class Meta:
        model = CommunityImpactReport
        fields = [
            "kind",
            "severity",
            "occurred_on",
            "reported_on",
            "country",
            "location",
            "people_affected",
            "description",
            "follow_up",
            "follow_up_status",
        ]
        widgets = {
            "occurred_on": DateInput(),
            "reported_on": DateInput(),
            "country": Autocomplete(CountrySuggestions),
            "description": forms.Textarea(attrs={"rows": 4}),
            "follow_up": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"follow_up": "Follow-up", "follow_up_status": "Follow-up status"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("reported_on", timezone.localdate())
