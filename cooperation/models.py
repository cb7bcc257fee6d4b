"""Countries, regions, partners and the people who act for them."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from cooperation import fulltext
from cooperation.constraints import FieldCheckConstraint
from cooperation.history import tracked
from cooperation.visibility import ReviewState, Sensitivity, VisibleQuerySet

# Every free text is bounded (forms, the API and imports refuse longer): a summary or a note
# fits in LONG_TEXT characters, a journal entry in JOURNAL_TEXT.
LONG_TEXT = 10_000
JOURNAL_TEXT = 50_000


class Region(models.Model):
    """A UN M49 region, sub-region or intermediate region."""

    class Level(models.TextChoices):
        REGION = "region", "Region"
        SUBREGION = "subregion", "Sub-region"
        INTERMEDIATE = "intermediate", "Intermediate region"

    m49 = models.CharField("M49 code", max_length=3, primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    level = models.CharField(max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="region_m49_is_three_digits", condition=Q(m49__regex=r"^[0-9]{3}$")
            ),
            models.CheckConstraint(
                name="region_top_level_has_no_parent",
                condition=Q(level="region", parent__isnull=True)
                | (~Q(level="region") & Q(parent__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("geography:region", args=[self.pk])


class Country(models.Model):
    """An ISO 3166-1 country or area, keyed by its alpha-3 code."""

    iso3 = models.CharField("ISO alpha-3", max_length=3, primary_key=True)
    iso2 = models.CharField("ISO alpha-2", max_length=2, unique=True)
    numeric = models.CharField("ISO numeric", max_length=3, unique=True)
    name = models.CharField(max_length=100, unique=True)
    official_name = models.CharField(max_length=200, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subregion = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    intermediate_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"
        constraints = [
            models.CheckConstraint(
                name="country_codes_well_formed",
                condition=Q(iso3__regex=r"^[A-Z]{3}$")
                & Q(iso2__regex=r"^[A-Z]{2}$")
                & Q(numeric__regex=r"^[0-9]{3}$"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("geography:country", args=[self.pk])

    @property
    def regions(self) -> list[Region]:
        """The M49 groupings that contain the country, broadest first."""
        return [r for r in (self.region, self.subregion, self.intermediate_region) if r]


class PartnerQuerySet(models.QuerySet):
    def governments(self):
        return self.filter(kind=Partner.Kind.GOVERNMENT)

    def agencies(self):
        return self.filter(kind=Partner.Kind.AGENCY)

    def organizations(self):
        return self.filter(kind=Partner.Kind.ORGANIZATION)

    def represented_by(self, user):
        """Partners ``user`` acts for: those they are affiliated with, and the agencies of an
        affiliated government."""
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        affiliated = Affiliation.objects.filter(user=user).values("partner")
        return self.filter(Q(pk__in=affiliated) | Q(parent__in=affiliated))


class PartnerKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    AGENCY = "agency", "Agency"
    ORGANIZATION = "organization", "Organization"


class AgencyType(models.TextChoices):
    ARMED_FORCES = "armed_forces", "Armed forces"
    NAVY_COAST_GUARD = "navy_coast_guard", "Navy / coast guard"
    POLICE = "police", "Police"
    CUSTOMS = "customs", "Customs / border"
    INTELLIGENCE = "intelligence", "Intelligence"
    MINISTRY = "ministry", "Ministry"
    DRUG_CONTROL = "drug_control", "Drug control agency"
    JUDICIAL = "judicial", "Prosecution / judiciary"
    OTHER = "other", "Other"


class OrganizationType(models.TextChoices):
    UN_BODY = "un_body", "UN body"
    INTERGOVERNMENTAL = "intergovernmental", "Intergovernmental organization"
    REGIONAL = "regional", "Regional organization"
    NGO = "ngo", "Non-governmental organization"
    PRIVATE_SECTOR = "private_sector", "Private sector"
    ACADEMIC = "academic", "Academic"


@tracked("PartnerEvent")
class Partner(models.Model):
    """Anyone who cooperates: a government, one of its agencies, or an organization.

    One table, so that every agreement party and operation participant points at the same
    target; :class:`Government`, :class:`Agency` and :class:`Organization` are typed faces of
    it. Database constraints (and triggers, for rules that look at another row) keep the kinds
    honest: a government has a country and is the only one for it; an agency sits under a
    government of the same country; an organization has no parent.
    """

    Kind = PartnerKind
    AgencyType = AgencyType
    OrganizationType = OrganizationType
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=30, blank=True)
    country = models.ForeignKey(
        Country,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partners",
        help_text="For a government or agency, its country; for an organization, its seat.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
        help_text="The government an agency belongs to.",
    )
    agency_type = models.CharField(max_length=20, choices=AgencyType.choices, blank=True)
    organization_type = models.CharField(
        max_length=20, choices=OrganizationType.choices, blank=True
    )
    members = models.ManyToManyField(
        "self",
        through="Membership",
        through_fields=("organization", "member"),
        symmetrical=False,
        related_name="memberships",
        blank=True,
    )
    founded_on = models.DateField(null=True, blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True, max_length=LONG_TEXT)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["kind", "name"]),
            fulltext.index(fulltext.PARTNER, "partner_search"),
        ]
        constraints = [
            models.CheckConstraint(
                name="partner_kind_valid", condition=Q(kind__in=PartnerKind.values)
            ),
            models.CheckConstraint(
                name="government_has_country_and_no_parent",
                condition=~Q(kind="government") | Q(country__isnull=False, parent__isnull=True),
                violation_error_message="A government needs a country and has no parent.",
            ),
            models.CheckConstraint(
                name="agency_has_parent_and_country",
                condition=~Q(kind="agency")
                | (Q(parent__isnull=False, country__isnull=False) & ~Q(agency_type="")),
                violation_error_message=(
                    "An agency needs a parent government, a country and an agency type."
                ),
            ),
            models.CheckConstraint(
                name="organization_has_no_parent",
                condition=~Q(kind="organization")
                | (Q(parent__isnull=True) & ~Q(organization_type="")),
                violation_error_message=(
                    "An organization has no parent and needs an organization type."
                ),
            ),
            models.CheckConstraint(
                name="partner_type_matches_kind",
                condition=(Q(kind="agency") | Q(agency_type=""))
                & (Q(kind="organization") | Q(organization_type="")),
                violation_error_message=(
                    "Only agencies have an agency type and only organizations an organization type."
                ),
            ),
            models.UniqueConstraint(
                fields=["country"],
                condition=Q(kind="government"),
                name="one_government_per_country",
                violation_error_message="This country already has a government.",
            ),
            models.UniqueConstraint(fields=["kind", "name"], name="partner_name_unique_per_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partners:detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.AGENCY and self.parent_id:
            parent = self.parent
            if parent.kind != self.Kind.GOVERNMENT:
                raise ValidationError({"parent": "An agency's parent must be a government."})
            if self.country_id and self.country_id != parent.country_id:
                raise ValidationError(
                    {"country": "An agency has the country of its parent government."}
                )
        if self.pk and self.kind != self.Kind.GOVERNMENT and self.agencies.exists():
            raise ValidationError({"kind": "A partner with agencies must stay a government."})

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class KindManager(models.Manager.from_queryset(PartnerQuerySet)):
    """The manager of a typed face: only partners of its kind."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


class TypedPartner:
    """Makes a proxy of :class:`Partner` a face that always has one kind."""

    partner_kind: str = ""

    def save(self, *args, **kwargs):
        self.kind = self.partner_kind
        super().save(*args, **kwargs)


class Government(TypedPartner, Partner):
    partner_kind = Partner.Kind.GOVERNMENT
    objects = KindManager(PartnerKind.GOVERNMENT)

    class Meta:
        proxy = True


class Agency(TypedPartner, Partner):
    partner_kind = Partner.Kind.AGENCY
    objects = KindManager(PartnerKind.AGENCY)

    class Meta:
        proxy = True
        verbose_name_plural = "agencies"


class Organization(TypedPartner, Partner):
    partner_kind = Partner.Kind.ORGANIZATION
    objects = KindManager(PartnerKind.ORGANIZATION)

    class Meta:
        proxy = True


@tracked("MembershipEvent")
class Membership(models.Model):
    """A government's membership of an organization."""

    organization = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="member_rows")
    member = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="membership_rows")
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member"],
                name="membership_unique",
                violation_error_message="This government is already a member.",
            ),
            FieldCheckConstraint(
                field="left_on",
                name="membership_dates_in_order",
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gte=models.F("joined_on")),
                violation_error_message="A member cannot leave before it joined.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.organization}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.organization_id and self.organization.kind != Partner.Kind.ORGANIZATION:
            errors["organization"] = "Only organizations have members."
        if self.member_id and self.member.kind != Partner.Kind.GOVERNMENT:
            errors["member"] = "Members of an organization are governments."
        if errors:
            raise ValidationError(errors)


class IdentifierScheme(models.TextChoices):
    WIKIDATA = "wikidata", "Wikidata"
    ROR = "ror", "Research Organization Registry"
    LEI = "lei", "Legal Entity Identifier"
    UN_M49 = "m49", "UN M49"
    OTHER = "other", "Other"


@tracked("PartnerIdentifierEvent")
class PartnerIdentifier(models.Model):
    """An identifier a partner has in another register (Wikidata, ROR, LEI, ...)."""

    Scheme = IdentifierScheme
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=20, choices=Scheme.choices)
    value = models.CharField(max_length=100)

    class Meta:
        ordering = ["scheme", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "value"],
                name="partner_identifier_unique",
                violation_error_message="Another partner already has this identifier.",
            ),
            models.UniqueConstraint(
                fields=["partner", "scheme"],
                condition=~Q(scheme="other"),
                name="partner_one_identifier_per_scheme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


class User(AbstractUser):
    """A person who signs in. Groups give the role (analyst, officer, administrator);
    affiliations say which partners the person acts for."""

    partners = models.ManyToManyField(
        Partner, through="Affiliation", related_name="affiliated_users", blank=True
    )


@tracked("AffiliationEvent")
class Affiliation(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE)
    title = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="affiliation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.partner}"


class AuditedModel(models.Model):
    """Who created and last changed a record, and when."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True


def stamp(instance, user, *, creating: bool) -> None:
    """Record who made the change on an audited row (every write, API or portal, does)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    if creating and hasattr(instance, "created_by_id"):
        instance.created_by = user
    if creating and hasattr(instance, "author_partner_id") and instance.author_partner_id is None:
        # A new record is a draft of the partner its author acts for (the first affiliation).
        from cooperation.visibility import viewer

        partners = viewer(user)[1]
        instance.author_partner_id = partners[0] if partners else None
    if hasattr(instance, "updated_by_id"):
        instance.updated_by = user


class SensitiveRecord(AuditedModel):
    """A record with a sensitivity level and an explicit list of partners it is shared with.

    Who may see it is decided by :meth:`VisibleQuerySet.visible_to`, nowhere else.
    """

    sensitivity = models.CharField(
        max_length=10, choices=Sensitivity.choices, default=Sensitivity.RESTRICTED
    )
    shared_with = models.ManyToManyField(
        Partner,
        blank=True,
        related_name="shared_%(class)ss",
        help_text="Partners that may see a restricted record without taking part in it.",
    )
    # Review before sharing: a record starts as a draft of its author's partner; only once
    # another officer (or an administrator) approved it do others see it.
    review_state = models.CharField(
        max_length=10,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        editable=False,  # moved by the review's transitions only (cooperation.review)
    )
    author_partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authored_%(class)ss",
        editable=False,
        help_text="The partner whose staff wrote the record: they see it under review.",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                name="%(app_label)s_%(class)s_sensitivity_valid",
                condition=Q(sensitivity__in=Sensitivity.values),
            ),
            models.CheckConstraint(
                name="%(app_label)s_%(class)s_review_state_valid",
                condition=Q(review_state__in=ReviewState.values),
            ),
            # Separation of duties: whoever submitted a record does not approve it.
            models.CheckConstraint(
                name="%(app_label)s_%(class)s_approver_not_submitter",
                condition=Q(approved_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(approved_by=F("submitted_by")),
                violation_error_message="Whoever submitted a record may not approve it.",
            ),
        ]


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Tokens that authenticate now: not expired, of an active user."""
        return self.filter(user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A secret a partner system sends as ``Authorization: Token <key>``.

    Only a SHA-256 digest of the key is stored: the key itself is shown once, when the token
    is issued. Keys are 256 random bits, so a fast digest is as safe as a slow one here.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(max_length=8, editable=False, help_text="Start of the key.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def set_new_key(self) -> str:
        """Give the token a fresh key and return it (the only time it can be read)."""
        key = secrets.token_urlsafe(32)
        self.prefix = key[:8]
        self.key_hash = self.digest(key)
        return key

    @classmethod
    def issue(
        cls, user, *, name: str = "", read_only: bool = False, expires_in_days: int | None = None
    ) -> tuple[ApiToken, str]:
        token = cls(user=user, name=name, read_only=read_only)
        if expires_in_days is not None:
            token.expires_at = timezone.now() + datetime.timedelta(days=expires_in_days)
        key = token.set_new_key()
        token.save()
        return token, key

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class DeletionQuerySet(VisibleQuerySet):
    def entitled(self, partners: list[int]) -> Q:
        return Q(partner_ids__overlap=partners)


class Deletion(models.Model):
    """A tombstone: a record or child row that was deleted, for mirrors to drop their copy.

    It keeps the audience the row had (sensitivity and entitled partners), so the deletions
    feed shows a tombstone only to those who could see the row.
    """

    resource = models.CharField(max_length=40, help_text="API resource name.")
    object_id = models.BigIntegerField()
    object_uuid = models.UUIDField(null=True, blank=True)
    deleted_at = models.DateTimeField(default=timezone.now)
    sensitivity = models.CharField(max_length=10, choices=Sensitivity.choices)
    partner_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    objects = DeletionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["deleted_at", "id"]),
            models.Index(fields=["resource", "deleted_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.object_id} deleted {self.deleted_at:%Y-%m-%d %H:%M}"


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An import is seen by whoever started it and by administrators."""
        from cooperation.visibility import viewer

        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        return self if viewer(user)[0] else self.filter(user_id=user.pk)


class ImportJob(models.Model):
    """One spreadsheet on its way in: checked (a dry run that lists every row error), then,
    once confirmed, written as one change set. The rules are in :mod:`cooperation.importing`;
    the work runs in a Celery task (:mod:`cooperation.tasks`) that reports its progress here."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", "All or nothing: any error and nothing is written"
        SKIP_BAD_ROWS = "skip", "Skip bad rows: write the good rows, report the others"

    class State(models.TextChoices):
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked: ready to import"
        REJECTED = "rejected", "Rejected: errors to correct"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20)
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    filename = models.CharField(max_length=200)
    content = models.BinaryField(editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    author_partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    stage = models.CharField(max_length=100, blank=True)
    rows = models.PositiveIntegerField(default=0, help_text="Data rows in the file.")
    problems = models.JSONField(default=list, blank=True, help_text="Every row error found.")
    summary = models.JSONField(default=dict, blank=True)
    change_set = models.UUIDField(null=True, blank=True, help_text="The history context.")
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(
        default=timezone.now, help_text="Last sign of life of the task working on it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="import_job_progress_percent", condition=Q(progress__lte=100)
            ),
        ]
        indexes = [
            # The jobs under way, for the sweep that re-queues stalled ones.
            models.Index(
                fields=["heartbeat_at"],
                condition=Q(state__in=["checking", "importing"]),
                name="import_job_under_way",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.uuid])

    @property
    def finished(self) -> bool:
        return self.state in (self.State.REJECTED, self.State.DONE, self.State.FAILED)

    @property
    def confirmable(self) -> bool:
        """Checked, and writable in its mode (a check that is not ends rejected)."""
        return self.state == self.State.CHECKED
