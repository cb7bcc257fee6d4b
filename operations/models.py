"""Joint operations: who took part, under which agreements, and what they achieved."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, CharField, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement
from cooperation import fulltext
from cooperation.constraints import FieldCheckConstraint
from cooperation.history import tracked
from cooperation.models import (
    JOURNAL_TEXT,
    LONG_TEXT,
    AuditedModel,
    Country,
    Partner,
    SensitiveRecord,
)
from cooperation.visibility import SensitiveRecordQuerySet, VisibleThroughQuerySet


class Vocabulary(models.Model):
    """A reference vocabulary loaded from the project's data files by migration."""

    code = models.SlugField(max_length=40, primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=LONG_TEXT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class OperationKind(Vocabulary):
    pass


class Technology(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name_plural = "technologies"


class SubstanceGroup(Vocabulary):
    """A UNODC drug group (cocaine-type, opiates, cannabis, ATS, ...)."""


class IncbList(models.TextChoices):
    YELLOW = "yellow", "Yellow List (narcotic drugs)"
    GREEN = "green", "Green List (psychotropic substances)"
    RED = "red", "Red List (precursors)"


class Substance(Vocabulary):
    """A seized substance, with its UNODC drug group and, where it has one, its INCB list."""

    IncbList = IncbList
    group = models.ForeignKey(SubstanceGroup, on_delete=models.PROTECT, related_name="substances")
    incb_list = models.CharField("INCB list", max_length=6, choices=IncbList.choices, blank=True)

    class Meta(Vocabulary.Meta):
        constraints = [
            models.CheckConstraint(
                name="substance_incb_list_valid",
                condition=Q(incb_list="") | Q(incb_list__in=IncbList.values),
            )
        ]


class Unit(models.TextChoices):
    """Units a seizure is recorded in. ``KG_FACTOR`` converts to kilograms by the UNODC
    convention (1 litre counts as 1 kg); counted units and plants convert only through a
    stated mass per unit."""

    GRAM = "g", "grams"
    KILOGRAM = "kg", "kilograms"
    TONNE = "t", "tonnes"
    LITRE = "L", "litres"
    UNITS = "units", "units (tablets, doses, blotters)"
    PLANTS = "plants", "plants"


KG_FACTOR: dict[str, Decimal] = {
    Unit.GRAM: Decimal("0.001"),
    Unit.KILOGRAM: Decimal("1"),
    Unit.TONNE: Decimal("1000"),
    Unit.LITRE: Decimal("1"),
}
COUNTED_UNITS = (Unit.UNITS, Unit.PLANTS)


def kg_equivalent_expression():
    """SQL for a seizure's kilogram-equivalent; the database computes and stores it."""
    return Case(
        *[
            When(unit=unit, then=F("quantity") * Value(factor))
            for unit, factor in KG_FACTOR.items()
        ],
        When(
            unit__in=COUNTED_UNITS,
            mass_per_unit_kg__isnull=False,
            then=F("quantity") * F("mass_per_unit_kg"),
        ),
        default=None,
        output_field=models.DecimalField(max_digits=24, decimal_places=6),
    )


class OperationStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    SUSPENDED = "suspended", "Suspended"
    CANCELLED = "cancelled", "Cancelled"


class JointOperationQuerySet(SensitiveRecordQuerySet):
    participant_relation = "participations"

    def led_by(self, partner):
        return self.filter(
            participations__partner=partner, participations__role=Participation.Role.LEAD
        )

    def active_on(self, day):
        return self.filter(started_on__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day)
        )


@tracked("JointOperationEvent")
class JointOperation(SensitiveRecord):
    """A cooperative action by several partners, under zero or more agreements."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(
        max_length=60,
        blank=True,
        default="",
        db_default="",
        help_text="The authoring unit's own case or file number: imports match on it.",
    )
    name = models.CharField(max_length=200)
    kind = models.ForeignKey(OperationKind, on_delete=models.PROTECT, related_name="operations")
    status = models.CharField(
        max_length=10, choices=OperationStatus.choices, default=OperationStatus.PLANNED
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True, max_length=LONG_TEXT)
    countries = models.ManyToManyField(
        Country, blank=True, related_name="operations", help_text="Where it took place."
    )
    technologies = models.ManyToManyField(Technology, blank=True, related_name="operations")
    legal_basis = models.ManyToManyField(
        Agreement, through="LegalBasis", blank=True, related_name="operations"
    )
    arrests = models.PositiveIntegerField(default=0)
    labs_dismantled = models.PositiveIntegerField(default=0)
    hectares_eradicated = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    assets_seized_usd = models.DecimalField(
        "assets seized (USD)", max_digits=16, decimal_places=2, default=0
    )

    objects = JointOperationQuerySet.as_manager()

    class Meta(SensitiveRecord.Meta):
        ordering = ["-started_on", "name"]
        indexes = [
            # Newest first, with what visibility reads: deep pages walk this index alone.
            models.Index(
                fields=["started_on", "id"],
                include=["sensitivity", "review_state", "author_partner"],
                name="operation_by_start",
            ),
            # The few records under review, by the partner that wrote them.
            models.Index(
                fields=["author_partner"],
                condition=~Q(review_state="approved"),
                name="operation_under_review",
            ),
            models.Index(fields=["status", "started_on"]),
            models.Index(fields=["kind", "started_on"]),
            # Operations under way in a period (summaries): those that ended in or after it,
            # and those still active with no end.
            models.Index(fields=["ended_on"], name="operation_by_end"),
            models.Index(
                fields=["started_on"],
                condition=Q(ended_on__isnull=True, status=OperationStatus.ACTIVE),
                name="operation_open",
            ),
            fulltext.index(fulltext.OPERATION, "operation_search"),
        ]
        constraints = [
            *SensitiveRecord.Meta.constraints,
            models.CheckConstraint(
                name="operation_status_valid", condition=Q(status__in=OperationStatus.values)
            ),
            # The natural key of imports: a reference names one operation of its partner.
            models.UniqueConstraint(
                fields=["author_partner", "reference"],
                condition=~Q(reference=""),
                nulls_distinct=False,
                name="operation_reference_unique",
                violation_error_message="The partner already has an operation with this reference.",
            ),
            FieldCheckConstraint(
                field="ended_on",
                name="operation_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                violation_error_message="An operation cannot end before it started.",
            ),
            FieldCheckConstraint(
                field="ended_on",
                name="operation_completed_has_end",
                condition=~Q(status="completed") | Q(ended_on__isnull=False),
                violation_error_message="A completed operation needs an end date.",
            ),
            models.CheckConstraint(
                name="operation_outcomes_not_negative",
                condition=Q(hectares_eradicated__gte=0, assets_seized_usd__gte=0),
                violation_error_message="Outcome figures cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("operations:detail", args=[self.pk])

    def version_for(self, user) -> str:
        """The version of the operation as ``user`` edits it (participants, legal basis and
        seizures with it): a digest of which of those rows there are and when each, and the
        operation itself, was last saved, read in one query. A write through any path (a
        form, the API's nested or flat endpoints, the admin) changes it; rows ``user`` may
        not see do not count, as the edit leaves them alone."""

        def stamps(rows):
            stamp = Concat(
                Cast("pk", CharField()),
                Value("@"),
                Cast("updated_at", CharField()),
                output_field=CharField(),
            )
            return ArraySubquery(
                rows.filter(operation=OuterRef("pk")).order_by("pk").values(stamp=stamp)
            )

        stored = (
            JointOperation.objects.filter(pk=self.pk)
            .annotate(
                participants=stamps(Participation.objects.all()),
                cited=stamps(LegalBasis.objects.citing_visible_agreements(user)),
                seized=stamps(Seizure.objects.all()),
            )
            .values_list("updated_at", "participants", "cited", "seized")
            .first()
        )
        if stored is None:
            return ""
        return hashlib.sha256(repr(stored).encode()).hexdigest()[:32]

    @property
    def lead(self) -> Partner | None:
        for participation in self.participations.all():
            if participation.role == Participation.Role.LEAD:
                return participation.partner
        return None


class OperationChildQuerySet(VisibleThroughQuerySet):
    parent_field = "operation"


class LegalBasisQuerySet(OperationChildQuerySet):
    def citing_visible_agreements(self, user):
        """Rows whose agreement ``user`` may see; the others are not even named to them.
        (For rows of operations already known to be visible, such as a page's prefetch.)"""
        return self.filter(agreement__in=Agreement.objects.visible_to(user).values("pk"))

    def visible_to(self, user):
        """A legal basis shows only where both the operation and the agreement do."""
        return super().visible_to(user).citing_visible_agreements(user)


@tracked("LegalBasisEvent")
class LegalBasis(AuditedModel):
    """An agreement an operation relies on, optionally to the article."""

    operation = models.ForeignKey(
        JointOperation, on_delete=models.CASCADE, related_name="legal_bases"
    )
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="+")
    article = models.CharField(max_length=100, blank=True, help_text="e.g. “Art. 17(3)”.")

    objects = LegalBasisQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "legal bases"
        ordering = ["operation", "agreement"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "agreement"],
                name="legal_basis_unique",
                violation_error_message="This agreement is already a legal basis of the operation.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement} {self.article}".strip()


class ParticipationRole(models.TextChoices):
    LEAD = "lead", "Lead"
    PARTNER = "partner", "Partner"
    SUPPORT = "support", "Support"
    OBSERVER = "observer", "Observer"
    FUNDER = "funder", "Funder"


@tracked("ParticipationEvent")
class Participation(AuditedModel):
    """A partner's part in an operation."""

    Role = ParticipationRole
    operation = models.ForeignKey(
        JointOperation, on_delete=models.CASCADE, related_name="participations"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PARTNER)
    personnel = models.PositiveIntegerField(null=True, blank=True)
    contribution = models.TextField(blank=True, max_length=LONG_TEXT)

    objects = OperationChildQuerySet.as_manager()

    class Meta:
        ordering = ["operation", "role", "partner__name"]
        indexes = [
            # Visibility asks "which operations do these partners take part in?": answered
            # from the index alone.
            models.Index(fields=["partner", "operation"], name="participation_by_partner"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "partner"],
                name="participation_unique",
                violation_error_message="This partner already takes part in the operation.",
            ),
            models.UniqueConstraint(
                fields=["operation"],
                condition=Q(role="lead"),
                name="participation_one_lead",
                violation_error_message="An operation has one lead partner.",
            ),
            models.CheckConstraint(
                name="participation_role_valid", condition=Q(role__in=ParticipationRole.values)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} ({self.get_role_display()})"


class TransportMode(models.TextChoices):
    MARITIME = "maritime", "Maritime (vessel)"
    SEMI_SUBMERSIBLE = "semi_submersible", "Semi-submersible"
    AIR = "air", "Air"
    ROAD = "road", "Road vehicle"
    RAIL = "rail", "Rail"
    POSTAL = "postal", "Postal / courier parcel"
    PEDESTRIAN = "pedestrian", "On foot / body carrier"
    CONTAINER = "container", "Shipping container"
    STORAGE = "storage", "Storage site / laboratory"
    FIELD = "field", "Cultivation site"
    OTHER = "other", "Other"


class ForensicStatus(models.TextChoices):
    NOT_TESTED = "not_tested", "Not tested"
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    NEGATIVE = "negative", "Negative"


@tracked("SeizureEvent")
class Seizure(AuditedModel):
    """Drugs or precursors seized in an operation."""

    TransportMode = TransportMode
    Forensic = ForensicStatus
    operation = models.ForeignKey(JointOperation, on_delete=models.CASCADE, related_name="seizures")
    reference = models.CharField(
        max_length=60,
        blank=True,
        default="",
        db_default="",
        help_text="The seizure's number within its operation: imports match on it.",
    )
    substance = models.ForeignKey(Substance, on_delete=models.PROTECT, related_name="seizures")
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    unit = models.CharField(max_length=6, choices=Unit.choices)
    mass_per_unit_kg = models.DecimalField(
        "mass per unit (kg)",
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="For counted units or plants: converts them to kilograms.",
    )
    kg_equivalent = models.GeneratedField(
        expression=kg_equivalent_expression(),
        output_field=models.DecimalField(max_digits=24, decimal_places=6),
        db_persist=True,
        verbose_name="kg-equivalent",
    )
    seized_on = models.DateField()
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="seizures", null=True, blank=True
    )
    location = models.CharField(max_length=200, blank=True)
    transport_mode = models.CharField(max_length=20, choices=TransportMode.choices, blank=True)
    forensic_status = models.CharField(
        "forensic confirmation",
        max_length=12,
        choices=Forensic.choices,
        default=Forensic.NOT_TESTED,
    )
    origin_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    transit_countries = models.ManyToManyField(Country, blank=True, related_name="+")
    destination_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    notes = models.TextField(blank=True, max_length=LONG_TEXT)

    objects = OperationChildQuerySet.as_manager()

    class Meta:
        ordering = ["-seized_on", "id"]
        indexes = [
            models.Index(fields=["seized_on"]),
            models.Index(fields=["substance", "seized_on"]),
            # "Operations with a seizure of these substances" reads this index alone.
            models.Index(fields=["substance", "operation"], name="seizure_by_substance"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "reference"],
                condition=~Q(reference=""),
                name="seizure_reference_unique",
                violation_error_message="The operation already has a seizure with this reference.",
            ),
            FieldCheckConstraint(
                field="quantity",
                name="seizure_quantity_positive",
                condition=Q(quantity__gt=0),
                violation_error_message="A seized quantity must be greater than zero.",
            ),
            models.CheckConstraint(name="seizure_unit_valid", condition=Q(unit__in=Unit.values)),
            FieldCheckConstraint(
                field="mass_per_unit_kg",
                name="seizure_mass_per_unit_positive",
                condition=Q(mass_per_unit_kg__isnull=True) | Q(mass_per_unit_kg__gt=0),
                violation_error_message="A mass per unit must be greater than zero.",
            ),
            FieldCheckConstraint(
                field="mass_per_unit_kg",
                name="seizure_mass_per_unit_only_for_counts",
                condition=Q(mass_per_unit_kg__isnull=True) | Q(unit__in=COUNTED_UNITS),
                violation_error_message=(
                    "A mass per unit applies only to seizures counted in units or plants."
                ),
            ),
            models.CheckConstraint(
                name="seizure_forensic_status_valid",
                condition=Q(forensic_status__in=ForensicStatus.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity.normalize():f} {self.unit} {self.substance}"

    @staticmethod
    def date_error(seized_on, started_on, ended_on) -> str | None:
        """Why a seizure on ``seized_on`` does not fit an operation's dates (forms and
        imports both ask)."""
        if seized_on < started_on or (ended_on and seized_on > ended_on):
            return "The seizure date falls outside the operation's dates."
        return None

    def clean(self) -> None:
        super().clean()
        if self.operation_id and self.seized_on:
            operation = self.operation
            error = self.date_error(self.seized_on, operation.started_on, operation.ended_on)
            if error:
                raise ValidationError({"seized_on": error})

    def computed_kg_equivalent(self) -> Decimal | None:
        """The kg-equivalent of unsaved values (the stored column is set by the database)."""
        if self.unit in KG_FACTOR:
            return self.quantity * KG_FACTOR[self.unit]
        if self.unit in COUNTED_UNITS and self.mass_per_unit_kg is not None:
            return self.quantity * self.mass_per_unit_kg
        return None


class ImpactKind(models.TextChoices):
    CIVILIAN_HARM = "civilian_harm", "Civilian harm"
    HUMAN_RIGHTS_COMPLAINT = "human_rights_complaint", "Human-rights complaint"
    DISPLACEMENT = "displacement", "Displacement"
    PROPERTY_DAMAGE = "property_damage", "Property damage"
    COMMUNITY_ENGAGEMENT = "community_engagement", "Community engagement"
    ALTERNATIVE_DEVELOPMENT = "alternative_development", "Alternative-development support"


class Severity(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class FollowUpStatus(models.TextChoices):
    NONE_NEEDED = "none_needed", "None needed"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


@tracked("ImpactReportEvent")
class CommunityImpactReport(AuditedModel):
    """What an operation did to the people living where it took place."""

    Kind = ImpactKind
    Severity = Severity
    FollowUp = FollowUpStatus
    operation = models.ForeignKey(
        JointOperation, on_delete=models.CASCADE, related_name="impact_reports"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    occurred_on = models.DateField()
    reported_on = models.DateField()
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    location = models.CharField(max_length=200, blank=True)
    people_affected = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(max_length=LONG_TEXT)
    follow_up = models.TextField(blank=True, max_length=LONG_TEXT)
    follow_up_status = models.CharField(
        max_length=12, choices=FollowUp.choices, default=FollowUp.OPEN
    )

    objects = OperationChildQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "id"]
        indexes = [models.Index(fields=["occurred_on"], name="impact_report_by_day")]
        constraints = [
            FieldCheckConstraint(
                field="reported_on",
                name="impact_reported_after_occurrence",
                condition=Q(reported_on__gte=F("occurred_on")),
                violation_error_message="A report cannot precede what it reports.",
            ),
            models.CheckConstraint(
                name="impact_kind_valid", condition=Q(kind__in=ImpactKind.values)
            ),
            models.CheckConstraint(
                name="impact_severity_valid", condition=Q(severity__in=Severity.values)
            ),
            models.CheckConstraint(
                name="impact_follow_up_status_valid",
                condition=Q(follow_up_status__in=FollowUpStatus.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"


class JournalKind(models.TextChoices):
    SITUATION_REPORT = "situation_report", "Situation report"
    OUTCOME_NOTE = "outcome_note", "Outcome note"
    LESSON_LEARNED = "lesson_learned", "Lesson learned"


@tracked("JournalEntryEvent")
class JournalEntry(AuditedModel):
    """A dated, authored note in an operation's journal."""

    Kind = JournalKind
    operation = models.ForeignKey(
        JointOperation, on_delete=models.CASCADE, related_name="journal_entries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=JOURNAL_TEXT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="journal_entries"
    )
    author_partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
        help_text="The partner the author wrote for.",
    )

    objects = OperationChildQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "journal entries"
        indexes = [fulltext.index(fulltext.JOURNAL_ENTRY, "journal_entry_search")]
        constraints = [
            models.CheckConstraint(
                name="journal_kind_valid", condition=Q(kind__in=JournalKind.values)
            ),
            FieldCheckConstraint(
                field="body",
                name="journal_body_not_blank",
                condition=~Q(body="") & ~Q(title=""),
                violation_error_message="A journal entry needs a title and a text.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# Links of an operation and a seizure kept in plain many-to-many tables: their changes are
# history too.
tracked("JointOperationCountryEvent", app_label="operations")(JointOperation.countries.through)
tracked("JointOperationTechnologyEvent", app_label="operations")(
    JointOperation.technologies.through
)
tracked("JointOperationSharedWithEvent", app_label="operations")(JointOperation.shared_with.through)
tracked("SeizureTransitCountryEvent", app_label="operations")(Seizure.transit_countries.through)
