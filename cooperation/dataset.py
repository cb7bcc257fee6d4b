"""Deterministic synthetic data at scale, for benchmarks (``manage.py generate_dataset``).

Rows are streamed to PostgreSQL with ``COPY`` (several times faster than ``bulk_create``) in
one transaction, so a failed run leaves nothing. Values are valid by construction: every
CHECK and UNIQUE constraint still applies during the load. Where the session may, the
row-level FK and consistency triggers are switched off for the load
(``session_replication_role = replica``): the generator only references rows it just made or
that exist, so checking each of millions of references one by one would only cost time.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from agreements.models import AgreementKind, AgreementScope, CooperationArea
from cooperation.models import AgencyType, Country, OrganizationType, Partner, User
from operations.models import (
    FollowUpStatus,
    ForensicStatus,
    ImpactKind,
    JournalKind,
    OperationKind,
    Severity,
    Substance,
    Technology,
    TransportMode,
    Unit,
)

FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2026, 10, 31)
BATCH = 50_000  # operations generated before their rows are sent
DATASET_NAMESPACE = uuid.UUID("0b6f7c4e-2d59-4c1b-8f0e-5f3f0a7d9c21")
AGENCY_TYPES = (
    (AgencyType.POLICE, "National Police"),
    (AgencyType.NAVY_COAST_GUARD, "Coast Guard"),
    (AgencyType.CUSTOMS, "Customs Service"),
)


class DatasetError(Exception):
    pass


@dataclass
class Progress:
    report: Callable[[str], None] = print
    started: float = field(default_factory=time.monotonic)

    def __call__(self, message: str) -> None:
        self.report(f"[{time.monotonic() - self.started:7.1f}s] {message}")


def _value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


class Table:
    """Rows for one table, buffered and sent with ``COPY ... FROM STDIN``.

    A connection runs one COPY at a time, so the generator fills several tables' buffers and
    :meth:`flush` sends each in turn once a batch of operations is ready.
    """

    def __init__(self, table: str, columns: Iterable[str]):
        self.table = table
        self.columns = list(columns)
        self.lines: list[str] = []
        self.count = 0

    def add(self, *values) -> None:
        self.lines.append("\t".join(map(_value, values)))

    def flush(self, cursor) -> None:
        if not self.lines:
            return
        column_list = ", ".join(self.columns)
        with cursor.copy(f"COPY {self.table} ({column_list}) FROM STDIN") as copy:
            for start in range(0, len(self.lines), 20000):
                copy.write("\n".join(self.lines[start : start + 20000]) + "\n")
        self.count += len(self.lines)
        self.lines.clear()


def flush(cursor, *tables: Table) -> None:
    for table in tables:
        table.flush(cursor)


def _reserve_ids(cursor, table: str, count: int) -> int:
    """Lock ``table`` and move its id sequence past ``count`` new ids; return the first."""
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - a constant
    first = cursor.fetchone()[0] + 1
    cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


class Generator:
    def __init__(self, operations: int, seed: int, progress: Progress):
        self.count = operations
        self.seed = seed
        self.rng = random.Random(seed)
        self.progress = progress
        self.now = timezone.now()
        self.day_span = (LAST_DAY - FIRST_DAY).days

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def marker(self) -> uuid.UUID:
        return uuid.uuid5(DATASET_NAMESPACE, f"seed:{self.seed}")

    # -- reference rows made through the ORM (a few thousand at most) ------------------------
    def partners(self) -> list[int]:
        countries = list(Country.objects.exclude(region=None).order_by("iso3"))
        governments = {p.country_id: p for p in Partner.objects.governments()}
        new = [
            Partner(kind="government", country=c, name=f"Government of {c.name}")
            for c in countries
            if c.iso3 not in governments
        ]
        Partner.objects.bulk_create(new)
        governments.update({p.country_id: p for p in new})
        existing = set(Partner.objects.agencies().values_list("name", flat=True))
        agencies = [
            Partner(
                kind="agency",
                parent=governments[c.iso3],
                country=c,
                agency_type=agency_type,
                name=f"{c.name} {label}",
            )
            for c in countries
            for agency_type, label in AGENCY_TYPES
            if f"{c.name} {label}" not in existing
        ]
        Partner.objects.bulk_create(agencies)
        organizations = [
            Partner(
                kind="organization",
                organization_type=OrganizationType.REGIONAL,
                name=f"Synthetic Regional Centre {n:02d}",
            )
            for n in range(1, 41)
        ]
        Partner.objects.bulk_create(organizations, ignore_conflicts=True)
        return list(Partner.objects.order_by("pk").values_list("pk", flat=True))

    def author(self) -> int:
        user, _ = User.objects.get_or_create(
            username="dataset-generator", defaults={"is_active": False}
        )
        return user.pk

    # -- the load ----------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        if Partner.objects.filter(uuid=self.marker()).exists():
            raise DatasetError(
                f"A dataset with seed {self.seed} is already loaded; use another --seed."
            )
        counts: dict[str, int] = {}
        with transaction.atomic(), connection.cursor() as cursor:
            replica = self._try_replica_role(cursor)
            self.progress(
                "row-level triggers off for the load" if replica else "row-level triggers on"
            )
            partner_ids = self.partners()
            Partner.objects.create(
                uuid=self.marker(),
                kind="organization",
                organization_type=OrganizationType.ACADEMIC,
                name=f"Synthetic dataset seed {self.seed}",
                description=f"Marks the synthetic dataset generated with seed {self.seed}.",
            )
            author = self.author()
            countries = list(Country.objects.exclude(region=None).values_list("iso3", flat=True))
            agreements = self.agreements(cursor, partner_ids, counts)
            self.operations(cursor, partner_ids, countries, agreements, author, counts)
            if replica:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        return counts

    def _try_replica_role(self, cursor) -> bool:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
        return True

    def day(self) -> datetime.date:
        return FIRST_DAY + datetime.timedelta(days=self.rng.randrange(self.day_span))

    def agreements(self, cursor, partner_ids, counts) -> list[int]:
        rng, now = self.rng, self.now
        total = max(10, self.count // 1000)
        first = _reserve_ids(cursor, "agreements_agreement", total)
        ids = list(range(first, first + total))
        areas = list(CooperationArea.objects.values_list("code", flat=True))
        kinds = AgreementKind.values
        columns = [
            "id",
            "created_at",
            "updated_at",
            "sensitivity",
            "uuid",
            "kind",
            "scope",
            "title",
            "short_title",
            "reference",
            "summary",
            "signed_on",
            "entry_into_force_on",
            "expires_on",
            "source_url",
            "review_state",
        ]
        agreements = Table("agreements_agreement", columns)
        parties = Table(
            "agreements_agreementparty",
            [
                "created_at",
                "updated_at",
                "agreement_id",
                "partner_id",
                "role",
                "consent_type",
                "notes",
            ],
        )
        area_rows = Table("agreements_agreement_areas", ["agreement_id", "cooperationarea_id"])
        for agreement_id in ids:
            bilateral = rng.random() < 0.6
            signed = self.day()
            in_force = signed + datetime.timedelta(days=rng.randrange(0, 400))
            expires = (
                in_force + datetime.timedelta(days=rng.randrange(365, 3650))
                if rng.random() < 0.5
                else None
            )
            agreements.add(
                agreement_id,
                now,
                now,
                rng.choices(("public", "partners", "restricted"), (6, 3, 1))[0],
                self.uuid(),
                rng.choice(kinds),
                AgreementScope.BILATERAL if bilateral else AgreementScope.MULTILATERAL,
                f"Synthetic cooperation agreement {agreement_id}",
                "",
                "",
                "",
                signed,
                in_force if in_force <= LAST_DAY else None,
                expires,
                "",
                "approved",
            )
            for partner in rng.sample(partner_ids, 2 if bilateral else rng.randint(3, 12)):
                parties.add(now, now, agreement_id, partner, "party", "", "")
            for area in rng.sample(areas, rng.randint(1, 3)):
                area_rows.add(agreement_id, area)
        flush(cursor, agreements, parties, area_rows)
        counts["agreements"] = agreements.count
        counts["agreement parties"] = parties.count
        self.progress(f"{agreements.count} agreements with {parties.count} parties")
        return ids

    def operations(self, cursor, partner_ids, countries, agreements, author, counts) -> None:
        rng, now = self.rng, self.now
        kinds = list(OperationKind.objects.values_list("code", flat=True))
        technologies = list(Technology.objects.values_list("code", flat=True))
        substances = list(Substance.objects.values_list("code", flat=True))
        units = (Unit.KILOGRAM, Unit.KILOGRAM, Unit.KILOGRAM, Unit.GRAM, Unit.TONNE, Unit.LITRE)
        modes = TransportMode.values
        forensic = ForensicStatus.values
        today = timezone.localdate()
        first_operation = _reserve_ids(cursor, "operations_jointoperation", self.count)
        # Seizure ids are reserved generously (at most 3 per operation) for transit rows.
        first_seizure = _reserve_ids(cursor, "operations_seizure", self.count * 3)
        seizure_id = first_seizure
        op_columns = [
            "id",
            "created_at",
            "updated_at",
            "created_by_id",
            "updated_by_id",
            "sensitivity",
            "uuid",
            "name",
            "kind_id",
            "status",
            "started_on",
            "ended_on",
            "summary",
            "arrests",
            "labs_dismantled",
            "hectares_eradicated",
            "assets_seized_usd",
            "review_state",
        ]
        audit = ["created_at", "updated_at", "created_by_id", "updated_by_id"]
        seizure_columns = [
            *audit,
            *[
                "id",
                "operation_id",
                "substance_id",
                "quantity",
                "unit",
                "mass_per_unit_kg",
                "seized_on",
                "country_id",
                "location",
                "transport_mode",
                "forensic_status",
                "origin_country_id",
                "destination_country_id",
                "notes",
            ],
        ]
        ops = Table("operations_jointoperation", op_columns)
        participations = Table(
            "operations_participation",
            [*audit, "operation_id", "partner_id", "role", "personnel", "contribution"],
        )
        seizures = Table("operations_seizure", seizure_columns)
        transits = Table("operations_seizure_transit_countries", ["seizure_id", "country_id"])
        op_countries = Table(
            "operations_jointoperation_countries", ["jointoperation_id", "country_id"]
        )
        op_technologies = Table(
            "operations_jointoperation_technologies", ["jointoperation_id", "technology_id"]
        )
        shares = Table("operations_jointoperation_shared_with", ["jointoperation_id", "partner_id"])
        bases = Table("operations_legalbasis", [*audit, "operation_id", "agreement_id", "article"])
        impacts = Table(
            "operations_communityimpactreport",
            [
                *audit,
                *[
                    "operation_id",
                    "kind",
                    "severity",
                    "occurred_on",
                    "reported_on",
                    "country_id",
                    "location",
                    "people_affected",
                    "description",
                    "follow_up",
                    "follow_up_status",
                ],
            ],
        )
        journal = Table(
            "operations_journalentry",
            [*audit, "operation_id", "kind", "occurred_at", "title", "body", "author_id"],
        )
        # Parents before children in every batch: the FK checks (when on) find their rows.
        tables = (
            ops,
            participations,
            seizures,
            transits,
            op_countries,
            op_technologies,
            shares,
            bases,
            impacts,
            journal,
        )
        for number in range(self.count):
            op_id = first_operation + number
            started = self.day()
            duration = rng.randrange(1, 120)
            ended = started + datetime.timedelta(days=duration)
            if ended < today:
                status = rng.choices(("completed", "cancelled", "suspended"), (96, 2, 2))[0]
            else:
                status = "active"
            ended_on = ended if status == "completed" else None
            kind = rng.choice(kinds)
            sensitivity = rng.choices(("public", "partners", "restricted"), (60, 25, 15))[0]
            ops.add(
                op_id,
                now,
                now,
                author,
                author,
                sensitivity,
                self.uuid(),
                f"Synthetic operation {op_id}",
                kind,
                status,
                started,
                ended_on,
                "",
                rng.randrange(0, 60),
                rng.randrange(0, 4) if kind == "raid" else 0,
                rng.randrange(10, 5000) if kind == "eradication" else 0,
                rng.randrange(0, 2_000_000) if rng.random() < 0.2 else 0,
                "approved",
            )
            members = rng.sample(partner_ids, rng.randint(2, 5))
            for index, partner in enumerate(members):
                participations.add(
                    now,
                    now,
                    author,
                    author,
                    op_id,
                    partner,
                    "lead" if index == 0 else rng.choice(("partner", "partner", "support")),
                    rng.randrange(5, 500),
                    "",
                )
            places = rng.sample(countries, rng.randint(1, 2))
            for country in places:
                op_countries.add(op_id, country)
            for technology in rng.sample(technologies, rng.randint(0, 2)):
                op_technologies.add(op_id, technology)
            if sensitivity == "restricted" and rng.random() < 0.2:
                shares.add(op_id, rng.choice(partner_ids))
            if rng.random() < 0.4:
                bases.add(now, now, author, author, op_id, rng.choice(agreements), "")
            last_day = ended if ended < today else today
            for _ in range(rng.choices((0, 1, 2, 3), (25, 35, 25, 15))[0]):
                seized_on = started + datetime.timedelta(
                    days=rng.randrange(0, max(1, (last_day - started).days + 1))
                )
                counted = rng.random() < 0.08
                seizures.add(
                    now,
                    now,
                    author,
                    author,
                    seizure_id,
                    op_id,
                    rng.choice(substances),
                    rng.randrange(1, 50000) if counted else round(rng.uniform(0.1, 3000), 3),
                    rng.choice((Unit.UNITS, Unit.PLANTS)) if counted else rng.choice(units),
                    "0.000250" if counted and rng.random() < 0.5 else None,
                    seized_on,
                    places[0],
                    "",
                    rng.choice(modes),
                    rng.choice(forensic),
                    rng.choice(countries),
                    rng.choice(countries),
                    "",
                )
                if rng.random() < 0.3:
                    transits.add(seizure_id, rng.choice(countries))
                seizure_id += 1
            if rng.random() < 0.05:
                impacts.add(
                    now,
                    now,
                    author,
                    author,
                    op_id,
                    rng.choice(ImpactKind.values),
                    rng.choice(Severity.values),
                    started,
                    started + datetime.timedelta(days=rng.randrange(0, 30)),
                    places[0],
                    "",
                    rng.randrange(1, 400),
                    "Synthetic community impact report.",
                    "",
                    rng.choice(FollowUpStatus.values),
                )
            if rng.random() < 0.1:
                journal.add(
                    now,
                    now,
                    author,
                    author,
                    op_id,
                    rng.choice(JournalKind.values),
                    datetime.datetime.combine(started, datetime.time(8), datetime.UTC),
                    "Situation report",
                    "Synthetic journal entry.",
                    author,
                )
            if (number + 1) % BATCH == 0 or number + 1 == self.count:
                flush(cursor, *tables)
                self.progress(f"{number + 1} operations")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('operations_seizure', 'id'), %s)",
            [max(seizure_id - 1, 1)],
        )
        for name, table in (
            ("operations", ops),
            ("participations", participations),
            ("seizures", seizures),
            ("seizure transit countries", transits),
            ("operation countries", op_countries),
            ("operation technologies", op_technologies),
            ("operation shares", shares),
            ("legal bases", bases),
            ("impact reports", impacts),
            ("journal entries", journal),
        ):
            counts[name] = table.count


def generate(
    operations: int, seed: int, progress: Progress, *, vacuum: bool = True
) -> dict[str, int]:
    """Load ``operations`` synthetic operations (with their rows), then ``VACUUM ANALYZE``
    (which cannot run inside a transaction: tests pass ``vacuum=False``)."""
    if operations < 1:
        raise DatasetError("--operations must be at least 1")
    counts = Generator(operations, seed, progress).run()
    if vacuum:
        progress("loaded; running VACUUM ANALYZE")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    progress("done")
    return counts
