"""Loading the hand-curated demo data set (``cooperation/demo/*.yaml``).

The files describe partners, agreements and joint operations by readable keys; the loader
turns each key into a stable UUID, so loading twice finds the records of the first load and
adds nothing. Every row is validated with ``full_clean()`` and the whole load is one
transaction: a bad file leaves the database as it was.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from agreements.models import Agreement, AgreementParty
from cooperation.models import (
    Affiliation,
    Country,
    Membership,
    Partner,
    PartnerIdentifier,
    PartnerKind,
    User,
)
from cooperation.visibility import ADMINISTRATOR_GROUP, ANALYST_GROUP, OFFICER_GROUP
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)

DEMO_DIR = Path(__file__).resolve().parent / "demo"
NAMESPACE = uuid.UUID("6f1d9a52-3c1e-4b8e-9a57-0c2f4d1b7e10")

# username -> (groups, affiliated partner key, is_staff, is_superuser). Passwords are
# "<username>-demo": demo only, printed when the users are created.
DEMO_USERS = {
    "admin": ([ADMINISTRATOR_GROUP], None, True, True),
    "analyst": ([ANALYST_GROUP], None, True, False),
    "officer": ([OFFICER_GROUP], "COL", True, False),
    "partner-officer": ([OFFICER_GROUP], "MEX", True, False),
}


def demo_uuid(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


def demo_password(username: str) -> str:
    return f"{username}-demo"


class DemoDataError(Exception):
    """The demo files do not describe valid records; the message says where."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    users_created: list[str] = field(default_factory=list)

    def add(self, label: str, count: int = 1) -> None:
        self.created[label] = self.created.get(label, 0) + count


def read_demo(directory: Path = DEMO_DIR) -> dict:
    def read(path: Path):
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle) or []

    operations = []
    for path in sorted(directory.glob("operations-*.yaml")):
        operations.extend(read(path))
    return {
        "partners": read(directory / "partners.yaml"),
        "agreements": read(directory / "agreements.yaml"),
        "operations": operations,
    }


def load_demo(directory: Path = DEMO_DIR) -> LoadReport:
    """Create what the demo files describe and the database lacks; return what was added.

    Records are found again by the UUID their key gives; a partner someone else already
    recorded under the same kind and name is reused rather than duplicated."""
    data = read_demo(directory)
    loader = _Loader()
    with transaction.atomic():
        loader.partners(data["partners"])
        loader.demo_users()
        loader.agreements(data["agreements"])
        loader.operations(data["operations"])
    return loader.report


class _Loader:
    def __init__(self) -> None:
        self.report = LoadReport()
        self.countries = {c.iso3: c for c in Country.objects.all()}
        self.partner_by_key: dict[str, Partner] = {}
        self.agreement_by_key: dict[str, Agreement] = {}
        self.users: dict[str, User] = {}

    # -- helpers -------------------------------------------------------------------------
    def country(self, code: str | None, where: str) -> Country | None:
        if code is None:
            return None
        try:
            return self.countries[code]
        except KeyError:
            raise DemoDataError(f"{where}: unknown country {code!r}") from None

    def partner(self, key: str, where: str) -> Partner:
        try:
            return self.partner_by_key[key]
        except KeyError:
            raise DemoDataError(f"{where}: unknown partner {key!r}") from None

    def agreement(self, key: str, where: str) -> Agreement:
        try:
            return self.agreement_by_key[key]
        except KeyError:
            raise DemoDataError(f"{where}: unknown agreement {key!r}") from None

    def save(self, obj, where: str, label: str) -> None:
        try:
            obj.full_clean()
        except ValidationError as error:
            raise DemoDataError(f"{where}: {_messages(error)}") from None
        obj.save()
        self.report.add(label)

    # -- partners ------------------------------------------------------------------------
    def partners(self, data: dict) -> None:
        partners = list(Partner.objects.all())
        existing = {p.uuid: p for p in partners}
        by_name = {(p.kind, p.name): p for p in partners}
        governments = {p.country_id: p for p in partners if p.kind == "government"}
        for row in data.get("governments", []):
            code = row["country"]
            where = f"partners.yaml government {code}"
            government = governments.get(code) or existing.get(demo_uuid("partner", code))
            if government is None:
                government = Partner(
                    uuid=demo_uuid("partner", code),
                    kind=PartnerKind.GOVERNMENT,
                    name=row["name"],
                    country=self.country(code, where),
                    website=row.get("website", ""),
                )
                self.save(government, where, "governments")
            self.partner_by_key[code] = government
            for agency_row in row.get("agencies", []):
                key = agency_row["key"]
                agency = existing.get(demo_uuid("partner", key)) or by_name.get(
                    (PartnerKind.AGENCY, agency_row["name"])
                )
                if agency is None:
                    agency = Partner(
                        uuid=demo_uuid("partner", key),
                        kind=PartnerKind.AGENCY,
                        name=agency_row["name"],
                        acronym=agency_row.get("acronym", ""),
                        agency_type=agency_row["type"],
                        parent=government,
                        country=government.country,
                        website=agency_row.get("website", ""),
                        description=agency_row.get("description", ""),
                    )
                    self.save(agency, f"partners.yaml agency {key}", "agencies")
                self.partner_by_key[key] = agency
        for row in data.get("organizations", []):
            key = row["key"]
            where = f"partners.yaml organization {key}"
            organization = existing.get(demo_uuid("partner", key)) or by_name.get(
                (PartnerKind.ORGANIZATION, row["name"])
            )
            if organization is None:
                organization = Partner(
                    uuid=demo_uuid("partner", key),
                    kind=PartnerKind.ORGANIZATION,
                    name=row["name"],
                    acronym=row.get("acronym", ""),
                    organization_type=row["type"],
                    country=self.country(row.get("country"), where),
                    founded_on=row.get("founded_on"),
                    website=row.get("website", ""),
                    description=row.get("description", ""),
                )
                self.save(organization, where, "organizations")
                for member in row.get("members", []):
                    self.save(
                        Membership(organization=organization, member=self.partner(member, where)),
                        where,
                        "memberships",
                    )
                for scheme, value in (row.get("identifiers") or {}).items():
                    self.save(
                        PartnerIdentifier(partner=organization, scheme=scheme, value=value),
                        where,
                        "identifiers",
                    )
            self.partner_by_key[key] = organization

    # -- users ---------------------------------------------------------------------------
    def demo_users(self) -> None:
        for username, (groups, partner_key, is_staff, is_superuser) in DEMO_USERS.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, is_staff=is_staff, is_superuser=is_superuser)
                user.set_password(demo_password(username))
                user.save()
                user.groups.set(Group.objects.filter(name__in=groups))
                if partner_key:
                    Affiliation.objects.create(
                        user=user, partner=self.partner(partner_key, f"demo user {username}")
                    )
                self.report.users_created.append(username)
            self.users[username] = user

    # -- agreements ----------------------------------------------------------------------
    def agreements(self, rows: list[dict]) -> None:
        existing = {a.uuid: a for a in Agreement.objects.all()}
        for row in rows:
            key = row["key"]
            where = f"agreements.yaml {key}"
            agreement = existing.get(demo_uuid("agreement", key))
            if agreement is None:
                agreement = self.new_agreement(row, where)
            self.agreement_by_key[key] = agreement

    def new_agreement(self, row: dict, where: str) -> Agreement:
        optional_partner = {
            name: self.partner(row[name], where) if row.get(name) else None
            for name in ("facilitator", "depositary")
        }
        agreement = Agreement(
            uuid=demo_uuid("agreement", row["key"]),
            kind=row["kind"],
            scope=row["scope"],
            title=row["title"],
            short_title=row.get("short_title", ""),
            reference=row.get("reference", ""),
            summary=row.get("summary", ""),
            sensitivity=row.get("sensitivity", "public"),
            review_state=row.get("review_state", "approved"),
            source_url=row.get("source_url", ""),
            amends=self.agreement(row["amends"], where) if row.get("amends") else None,
            supersedes=(
                self.agreement(row["supersedes"], where) if row.get("supersedes") else None
            ),
            created_by=self.users["admin"],
            updated_by=self.users["admin"],
            **optional_partner,
            **_dates(
                row,
                "adopted_on",
                "signed_on",
                "entry_into_force_on",
                "expires_on",
                "suspended_on",
                "terminated_on",
            ),
        )
        self.save(agreement, where, "agreements")
        agreement.areas.set(row.get("areas", []))
        agreement.shared_with.set([self.partner(k, where) for k in row.get("shared_with", [])])
        roles = []
        for party in row.get("parties", []):
            roles.append(party.get("role", "party"))
            self.save(
                AgreementParty(
                    agreement=agreement,
                    partner=self.partner(party["partner"], where),
                    role=party.get("role", "party"),
                    consent_type=party.get("consent_type", ""),
                    notes=party.get("notes", ""),
                    **_dates(
                        party,
                        "signed_on",
                        "consent_on",
                        "entry_into_force_on",
                        "withdrew_on",
                    ),
                ),
                f"{where} party {party['partner']}",
                "agreement parties",
            )
        error = Agreement.bilateral_party_error(agreement.scope, roles)
        if error:
            raise DemoDataError(f"{where}: {error}")
        return agreement

    # -- operations ----------------------------------------------------------------------
    def operations(self, rows: list[dict]) -> None:
        existing = set(JointOperation.objects.values_list("uuid", flat=True))
        for row in rows:
            if demo_uuid("operation", row["key"]) not in existing:
                self.new_operation(row, f"operation {row['key']}")

    def new_operation(self, row: dict, where: str) -> None:
        admin = self.users["admin"]
        audit = {"created_by": admin, "updated_by": admin}
        operation = JointOperation(
            uuid=demo_uuid("operation", row["key"]),
            name=row["name"],
            kind_id=row["kind"],
            status=row["status"],
            summary=row.get("summary", ""),
            sensitivity=row.get("sensitivity", "public"),
            review_state=row.get("review_state", "approved"),
            arrests=row.get("arrests", 0),
            labs_dismantled=row.get("labs_dismantled", 0),
            hectares_eradicated=Decimal(str(row.get("hectares_eradicated", 0))),
            assets_seized_usd=Decimal(str(row.get("assets_seized_usd", 0))),
            **_dates(row, "started_on", "ended_on"),
            **audit,
        )
        self.save(operation, where, "operations")
        operation.countries.set([self.country(c, where) for c in row.get("countries", [])])
        operation.technologies.set(row.get("technologies", []))
        operation.shared_with.set([self.partner(k, where) for k in row.get("shared_with", [])])
        for basis in row.get("legal_basis", []):
            self.save(
                LegalBasis(
                    operation=operation,
                    agreement=self.agreement(basis["agreement"], where),
                    article=basis.get("article", ""),
                    **audit,
                ),
                where,
                "legal bases",
            )
        for participant in row.get("participants", []):
            self.save(
                Participation(
                    operation=operation,
                    partner=self.partner(participant["partner"], where),
                    role=participant.get("role", "partner"),
                    personnel=participant.get("personnel"),
                    contribution=participant.get("contribution", ""),
                    **audit,
                ),
                f"{where} participant {participant['partner']}",
                "participations",
            )
        for number, item in enumerate(row.get("seizures", []), start=1):
            seizure = Seizure(
                operation=operation,
                substance_id=item["substance"],
                quantity=Decimal(str(item["quantity"])),
                unit=item["unit"],
                mass_per_unit_kg=(
                    Decimal(str(item["mass_per_unit_kg"])) if "mass_per_unit_kg" in item else None
                ),
                country=self.country(item.get("country"), where),
                location=item.get("location", ""),
                transport_mode=item.get("transport_mode", ""),
                forensic_status=item.get("forensic_status", "not_tested"),
                origin_country=self.country(item.get("origin_country"), where),
                destination_country=self.country(item.get("destination_country"), where),
                **_dates(item, "seized_on"),
                **audit,
            )
            self.save(seizure, f"{where} seizure {number}", "seizures")
            seizure.transit_countries.set(
                [self.country(c, where) for c in item.get("transit_countries", [])]
            )
        for number, item in enumerate(row.get("impacts", []), start=1):
            self.save(
                CommunityImpactReport(
                    operation=operation,
                    kind=item["kind"],
                    severity=item["severity"],
                    country=self.country(item.get("country"), where),
                    location=item.get("location", ""),
                    people_affected=item.get("people_affected"),
                    description=item["description"],
                    follow_up=item.get("follow_up", ""),
                    follow_up_status=item.get("follow_up_status", "open"),
                    **_dates(item, "occurred_on", "reported_on"),
                    **audit,
                ),
                f"{where} impact {number}",
                "impact reports",
            )
        for number, item in enumerate(row.get("journal", []), start=1):
            author = self.users.get(item.get("author", "officer"))
            if author is None:
                raise DemoDataError(f"{where} journal {number}: unknown author")
            occurred_at = item["occurred_at"]
            if isinstance(occurred_at, str):
                occurred_at = datetime.datetime.fromisoformat(occurred_at)
            self.save(
                JournalEntry(
                    operation=operation,
                    kind=item["kind"],
                    occurred_at=occurred_at,
                    title=item["title"],
                    body=item["body"],
                    author=author,
                    author_partner=(
                        self.partner(item["author_partner"], where)
                        if item.get("author_partner")
                        else None
                    ),
                    created_by=author,
                    updated_by=author,
                ),
                f"{where} journal {number}",
                "journal entries",
            )


def _dates(row: dict, *names: str) -> dict:
    """The date fields of ``row`` that are present, as dates."""
    values = {}
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        values[name] = value
    return values


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
