"""Cooperation agreements and the partners bound by them."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from cooperation import fulltext
from cooperation.constraints import FieldCheckConstraint
from cooperation.history import tracked
from cooperation.models import LONG_TEXT, AuditedModel, Partner, SensitiveRecord
from cooperation.visibility import SensitiveRecordQuerySet, VisibleThroughQuerySet


class CooperationArea(models.Model):
    """A field of cooperation an agreement covers (reference vocabulary)."""

    code = models.SlugField(max_length=40, primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=LONG_TEXT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class AgreementStatus(models.TextChoices):
    NEGOTIATING = "negotiating", "Under negotiation"
    SIGNED = "signed", "Signed"
    IN_FORCE = "in_force", "In force"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


# The lifecycle rule, read top to bottom: the first date that has been reached decides the
# status. Python (Agreement.status) and SQL (AgreementQuerySet.with_status) both read it.
STATUS_RULES: tuple[tuple[str, str, bool], ...] = (
    # (status, date field, reached only strictly after the date)
    (AgreementStatus.TERMINATED, "terminated_on", False),
    (AgreementStatus.EXPIRED, "expires_on", True),
    (AgreementStatus.SUSPENDED, "suspended_on", False),
    (AgreementStatus.IN_FORCE, "entry_into_force_on", False),
    (AgreementStatus.SIGNED, "signed_on", False),
)


class AgreementQuerySet(SensitiveRecordQuerySet):
    participant_relation = "parties"
    participant_fields = ("facilitator",)

    def with_status(self, on: datetime.date | None = None):
        """Annotate ``lifecycle_status``: the status on date ``on`` (today by default)."""
        on = on or timezone.localdate()
        whens = [
            When(**{f"{field}__{'lt' if strict else 'lte'}": on}, then=Value(status.value))
            for status, field, strict in STATUS_RULES
        ]
        return self.annotate(
            lifecycle_status=Case(
                *whens,
                default=Value(AgreementStatus.NEGOTIATING.value),
                output_field=models.CharField(),
            )
        )

    def with_status_in(self, statuses, on: datetime.date | None = None):
        return self.with_status(on).filter(lifecycle_status__in=list(statuses))

    def in_force(self, on: datetime.date | None = None):
        return self.with_status_in([AgreementStatus.IN_FORCE], on)

    def expiring_within(self, days: int, on: datetime.date | None = None):
        """In force on ``on`` and expiring within ``days`` days after it."""
        on = on or timezone.localdate()
        return self.in_force(on).filter(expires_on__lte=on + datetime.timedelta(days=days))

    def bilateral(self):
        return self.filter(scope=Agreement.Scope.BILATERAL)


class AgreementKind(models.TextChoices):
    TREATY = "treaty", "Treaty / convention"
    MOU = "mou", "Memorandum of understanding"
    LETTER_OF_AGREEMENT = "letter_of_agreement", "Letter of agreement"
    FRAMEWORK = "framework", "Framework agreement"
    JOINT_DECLARATION = "joint_declaration", "Joint declaration"
    ACTION_PLAN = "action_plan", "Action plan"
    PROTOCOL = "protocol", "Protocol / amendment"


class AgreementScope(models.TextChoices):
    BILATERAL = "bilateral", "Bilateral"
    MULTILATERAL = "multilateral", "Multilateral"


@tracked("AgreementEvent")
class Agreement(SensitiveRecord):
    """A bilateral or multilateral cooperation instrument."""

    Kind = AgreementKind
    Scope = AgreementScope
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    scope = models.CharField(
        max_length=12,
        choices=Scope.choices,
        help_text="A bilateral agreement has exactly two parties in the role “party”.",
    )
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=100, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Registration or treaty-series number."
    )
    summary = models.TextField(blank=True, max_length=LONG_TEXT)
    areas = models.ManyToManyField(CooperationArea, blank=True, related_name="agreements")
    adopted_on = models.DateField(
        null=True, blank=True, help_text="Text adopted or opened for signature."
    )
    signed_on = models.DateField(null=True, blank=True)
    entry_into_force_on = models.DateField("entered into force on", null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    suspended_on = models.DateField(null=True, blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    facilitator = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilitated_agreements",
    )
    depositary = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deposited_agreements",
    )
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    source_url = models.URLField(blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta(SensitiveRecord.Meta):
        ordering = [F("signed_on").desc(nulls_last=True), "title"]
        indexes = [
            models.Index(fields=["signed_on"]),
            models.Index(fields=["entry_into_force_on"]),
            models.Index(fields=["expires_on"]),
            fulltext.index(fulltext.AGREEMENT, "agreement_search"),
        ]
        constraints = [
            *SensitiveRecord.Meta.constraints,
            # The natural key of imports: a reference names one agreement of its partner.
            models.UniqueConstraint(
                fields=["author_partner", "reference"],
                condition=~Q(reference=""),
                nulls_distinct=False,
                name="agreement_reference_unique",
                violation_error_message="The partner already has an agreement with this reference.",
            ),
            models.CheckConstraint(
                name="agreement_kind_valid", condition=Q(kind__in=AgreementKind.values)
            ),
            models.CheckConstraint(
                name="agreement_scope_valid", condition=Q(scope__in=AgreementScope.values)
            ),
            FieldCheckConstraint(
                field="signed_on",
                name="agreement_signed_after_adoption",
                condition=Q(signed_on__isnull=True)
                | Q(adopted_on__isnull=True)
                | Q(signed_on__gte=F("adopted_on")),
                violation_error_message="An agreement cannot be signed before it was adopted.",
            ),
            FieldCheckConstraint(
                field="entry_into_force_on",
                name="agreement_in_force_after_signature",
                condition=Q(entry_into_force_on__isnull=True)
                | Q(signed_on__isnull=False, entry_into_force_on__gte=F("signed_on")),
                violation_error_message=(
                    "An agreement enters into force on or after its signature."
                ),
            ),
            FieldCheckConstraint(
                field="expires_on",
                name="agreement_expires_after_signature",
                condition=Q(expires_on__isnull=True)
                | Q(signed_on__isnull=False, expires_on__gt=F("signed_on")),
                violation_error_message="An agreement expires after it was signed.",
            ),
            FieldCheckConstraint(
                field="expires_on",
                name="agreement_expires_after_entry_into_force",
                condition=Q(expires_on__isnull=True)
                | Q(entry_into_force_on__isnull=True)
                | Q(expires_on__gt=F("entry_into_force_on")),
                violation_error_message="An agreement expires after it entered into force.",
            ),
            FieldCheckConstraint(
                field="suspended_on",
                name="agreement_suspended_while_in_force",
                condition=Q(suspended_on__isnull=True)
                | Q(entry_into_force_on__isnull=False, suspended_on__gte=F("entry_into_force_on")),
                violation_error_message=(
                    "Only an agreement in force can be suspended, on or after its entry into force."
                ),
            ),
            FieldCheckConstraint(
                field="terminated_on",
                name="agreement_terminated_after_signature",
                condition=Q(terminated_on__isnull=True)
                | Q(signed_on__isnull=False, terminated_on__gte=F("signed_on")),
                violation_error_message=(
                    "Only a signed agreement can be terminated, on or after its signature."
                ),
            ),
            FieldCheckConstraint(
                field="amends",
                name="agreement_does_not_amend_itself",
                condition=Q(amends__isnull=True) | ~Q(amends=F("pk")),
                violation_error_message="An agreement cannot amend itself.",
            ),
            FieldCheckConstraint(
                field="supersedes",
                name="agreement_does_not_supersede_itself",
                condition=Q(supersedes__isnull=True) | ~Q(supersedes=F("pk")),
                violation_error_message="An agreement cannot supersede itself.",
            ),
        ]

    def __str__(self) -> str:
        return self.short_title or self.title

    def get_absolute_url(self) -> str:
        return reverse("agreements:detail", args=[self.pk])

    def status_on(self, on: datetime.date) -> str:
        """The lifecycle status on date ``on``, by :data:`STATUS_RULES`."""
        for status, field, strict in STATUS_RULES:
            reached = getattr(self, field)
            if reached is not None and (reached < on if strict else reached <= on):
                return status.value
        return AgreementStatus.NEGOTIATING.value

    @property
    def status(self) -> str:
        """Today's lifecycle status (from the ``with_status`` annotation when present)."""
        annotated = self.__dict__.get("lifecycle_status")
        return annotated if annotated is not None else self.status_on(timezone.localdate())

    def get_status_display(self) -> str:
        return AgreementStatus(self.status).label

    def timeline(self) -> list[tuple[datetime.date, str]]:
        """The dated steps of the agreement's life, oldest first."""
        steps = [
            (self.adopted_on, "Text adopted"),
            (self.signed_on, "Signed"),
            (self.entry_into_force_on, "Entered into force"),
            (self.suspended_on, "Suspended"),
            (self.terminated_on, "Terminated"),
            (
                self.expires_on,
                "Expires"
                if self.expires_on and self.expires_on >= timezone.localdate()
                else "Expired",
            ),
        ]
        return sorted((day, label) for day, label in steps if day is not None)

    @staticmethod
    def bilateral_party_error(scope: str, roles: list[str]) -> str | None:
        """The message when ``roles`` (of the rows of one agreement) break the bilateral rule."""
        if scope == Agreement.Scope.BILATERAL:
            count = sum(1 for role in roles if role == AgreementParty.Role.PARTY)
            if count != 2:
                return f"A bilateral agreement has exactly two parties; this one has {count}."
        return None

    def clean(self) -> None:
        super().clean()
        if self.pk:
            if self.amends_id == self.pk:
                raise ValidationError({"amends": "An agreement cannot amend itself."})
            if self.supersedes_id == self.pk:
                raise ValidationError({"supersedes": "An agreement cannot supersede itself."})
            error = self.bilateral_party_error(
                self.scope, list(self.parties.values_list("role", flat=True))
            )
            if error:
                raise ValidationError({"scope": error})


class AgreementPartyQuerySet(VisibleThroughQuerySet):
    parent_field = "agreement"


class PartyRole(models.TextChoices):
    PARTY = "party", "Party"
    SIGNATORY = "signatory", "Signatory"
    OBSERVER = "observer", "Observer"
    FACILITATOR = "facilitator", "Facilitator"
    FUNDER = "funder", "Funder"


class ConsentType(models.TextChoices):
    RATIFICATION = "ratification", "Ratification"
    ACCEPTANCE = "acceptance", "Acceptance"
    APPROVAL = "approval", "Approval"
    ACCESSION = "accession", "Accession"
    SUCCESSION = "succession", "Succession"
    DEFINITIVE_SIGNATURE = "definitive_signature", "Definitive signature"


@tracked("AgreementPartyEvent")
class AgreementParty(AuditedModel):
    """A partner's place in an agreement, with its own signature and consent to be bound."""

    Role = PartyRole
    Consent = ConsentType
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreement_parties")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PARTY)
    signed_on = models.DateField(null=True, blank=True)
    consent_type = models.CharField(
        "consent to be bound", max_length=20, choices=Consent.choices, blank=True
    )
    consent_on = models.DateField("consent expressed on", null=True, blank=True)
    entry_into_force_on = models.DateField(
        "entered into force for this party on", null=True, blank=True
    )
    withdrew_on = models.DateField("withdrawal took effect on", null=True, blank=True)
    notes = models.TextField(blank=True, max_length=LONG_TEXT)

    objects = AgreementPartyQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "role", "partner__name"]
        verbose_name_plural = "agreement parties"
        indexes = [models.Index(fields=["partner", "agreement"], name="agreement_party_by_partner")]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "partner"],
                name="agreement_party_unique",
                violation_error_message="This partner is already in the agreement.",
            ),
            models.CheckConstraint(
                name="agreement_party_role_valid", condition=Q(role__in=PartyRole.values)
            ),
            FieldCheckConstraint(
                field="consent_on",
                name="agreement_party_consent_has_type_and_date",
                condition=Q(consent_type="", consent_on__isnull=True)
                | (~Q(consent_type="") & Q(consent_on__isnull=False)),
                violation_error_message="Consent to be bound needs both its kind and its date.",
            ),
            FieldCheckConstraint(
                field="consent_type",
                name="agreement_party_consent_only_for_parties",
                condition=Q(consent_type="") | Q(role__in=["party", "signatory"]),
                violation_error_message=(
                    "Only parties and signatories consent to be bound by an agreement."
                ),
            ),
            FieldCheckConstraint(
                field="consent_on",
                name="agreement_party_consent_after_signature",
                condition=Q(consent_on__isnull=True)
                | Q(signed_on__isnull=True)
                | Q(consent_on__gte=F("signed_on")),
                violation_error_message="Consent to be bound comes on or after signature.",
            ),
            FieldCheckConstraint(
                field="consent_on",
                name="agreement_party_definitive_signature_same_day",
                condition=~Q(consent_type="definitive_signature")
                | Q(signed_on__isnull=False, consent_on=F("signed_on")),
                violation_error_message=("A definitive signature binds on the day of signature."),
            ),
            FieldCheckConstraint(
                field="entry_into_force_on",
                name="agreement_party_in_force_after_consent",
                condition=Q(entry_into_force_on__isnull=True)
                | Q(consent_on__isnull=False, entry_into_force_on__gte=F("consent_on")),
                violation_error_message=(
                    "An agreement enters into force for a party on or after its consent."
                ),
            ),
            FieldCheckConstraint(
                field="withdrew_on",
                name="agreement_party_withdrawal_after_joining",
                condition=Q(withdrew_on__isnull=True)
                | (
                    (Q(consent_on__isnull=False) | Q(signed_on__isnull=False))
                    & Q(withdrew_on__gte=Coalesce("consent_on", "signed_on"))
                ),
                violation_error_message=(
                    "A party withdraws after it signed or consented, and only then."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} ({self.get_role_display()}) in {self.agreement}"

    def clean(self) -> None:
        super().clean()
        if not self.agreement_id or self.role != self.Role.PARTY:
            return
        others = self.agreement.parties.exclude(pk=self.pk)
        roles = [*others.values_list("role", flat=True), self.role]
        if self.agreement.scope == Agreement.Scope.BILATERAL and roles.count(self.Role.PARTY) > 2:
            raise ValidationError({"role": "A bilateral agreement already has its two parties."})


# Links of an agreement kept in plain many-to-many tables: their changes are history too.
tracked("AgreementSharedWithEvent", app_label="agreements")(Agreement.shared_with.through)
tracked("AgreementAreaEvent", app_label="agreements")(Agreement.areas.through)
