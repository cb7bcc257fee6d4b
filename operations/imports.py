"""The operations import: one line per seizure, with its operation's reference; one line
of each operation (any) gives the operation's columns, participants and countries."""

from __future__ import annotations

from cooperation.importing import (
    CellError,
    Column,
    ImportKind,
    Lookup,
    Record,
    Report,
    choice,
    date,
    listed,
    number,
    qn,
    text,
    whole_number,
)
from cooperation.models import LONG_TEXT, Country, Partner
from cooperation.visibility import Sensitivity
from operations.models import (
    ForensicStatus,
    JointOperation,
    OperationKind,
    OperationStatus,
    Participation,
    ParticipationRole,
    Seizure,
    Substance,
    TransportMode,
    Unit,
)


def partners() -> Lookup:
    return Lookup(
        "partner",
        lambda: (
            (pk, (str(pk), str(uuid), name, acronym))
            for pk, uuid, name, acronym in Partner.objects.values_list(
                "pk", "uuid", "name", "acronym"
            )
        ),
        "give its full name, acronym or id as the portal shows them",
    )


def countries() -> Lookup:
    return Lookup(
        "country",
        lambda: (
            (iso3, (iso3, iso2, name, official))
            for iso3, iso2, name, official in Country.objects.values_list(
                "iso3", "iso2", "name", "official_name"
            )
        ),
        "give its ISO 3166 code (COL or CO) or its name",
    )


def vocabulary(model, noun: str) -> Lookup:
    return Lookup(
        noun,
        lambda: ((code, (code, name)) for code, name in model.objects.values_list("code", "name")),
        f"see the {noun} list in the import help",
    )


def with_role(partner: Lookup, roles=ParticipationRole):
    """``Partner name`` or ``Partner name: role`` (partner by default)."""
    role_of = choice(roles)

    def parse(raw: str) -> tuple[int, str]:
        name, _, role = raw.rpartition(":") if ":" in raw else (raw, "", "")
        if not name:
            name, role = raw, ""
        try:
            return partner(name.strip()), role_of(role.strip()) if role.strip() else roles.PARTNER
        except CellError as error:
            if not role:
                raise
            try:  # a colon inside a partner's name
                return partner(raw.strip()), roles.PARTNER
            except CellError:
                raise error from None

    return parse


class OperationImport(ImportKind):
    name = "operations"
    label = "Operations with their participants and seizures"
    record_model = JointOperation
    child_model = Seizure
    child_parent_field = "operation"
    child_key_fields = ("reference",)
    child_key_where = "reference <> ''"
    existing_fields = ("started_on", "ended_on")
    record_noun = "operation"
    child_noun = "seizure"

    def make_record_columns(self):
        country = countries()
        self.partner = partners()
        return [
            Column(
                "operation_ref",
                text(60),
                "Your unit's reference of the operation (its "
                "case or file number): lines with the same reference are one operation, "
                "and a re-import updates it.",
                "OP-2026-014",
                required=True,
                field="reference",
            ),
            Column(
                "name",
                text(200),
                "The operation's name.",
                "Operation Orion XIV",
                required=True,
                field="name",
            ),
            Column(
                "kind",
                vocabulary(OperationKind, "operation kind"),
                "Operation kind: code or name.",
                "maritime_interdiction",
                required=True,
                field="kind",
            ),
            Column(
                "status",
                choice(OperationStatus),
                f"One of {', '.join(OperationStatus.values)}; planned when empty.",
                "completed",
                field="status",
                blank=OperationStatus.PLANNED,
            ),
            Column(
                "started_on",
                date,
                "Start date, YYYY-MM-DD.",
                "2026-03-01",
                required=True,
                field="started_on",
            ),
            Column(
                "ended_on",
                date,
                "End date, YYYY-MM-DD (needed once completed).",
                "2026-04-15",
                field="ended_on",
                blank=None,
            ),
            Column(
                "sensitivity",
                choice(Sensitivity),
                "public, partners or restricted; restricted when empty.",
                "partners",
                field="sensitivity",
                blank=Sensitivity.RESTRICTED,
            ),
            Column("summary", text(LONG_TEXT), "What the operation did.", "", field="summary"),
            Column(
                "countries",
                listed(country),
                "Where it took place: ISO codes or names "
                "separated by “;”. Empty leaves them as they are.",
                "COL; PER",
                blank=[],
            ),
            Column(
                "partners",
                listed(with_role(self.partner)),
                "Participants separated by "
                "“;”, each “partner” or “partner: role” (lead, partner, support, observer, "
                "funder). Empty leaves them as they are.",
                "Government of Colombia: lead; Government of Peru",
                blank=[],
            ),
            Column(
                "arrests",
                whole_number,
                "People arrested; 0 when empty.",
                "12",
                field="arrests",
                blank=0,
            ),
            Column(
                "labs_dismantled",
                whole_number,
                "Laboratories dismantled; 0 when empty.",
                "0",
                field="labs_dismantled",
                blank=0,
            ),
            Column(
                "hectares_eradicated",
                number(12, 2),
                "Hectares of crops eradicated.",
                "0",
                field="hectares_eradicated",
                blank=0,
            ),
            Column(
                "assets_seized_usd",
                number(16, 2),
                "Assets seized, in US dollars.",
                "0",
                field="assets_seized_usd",
                blank=0,
            ),
        ]

    def make_child_columns(self):
        country = countries()
        return [
            Column(
                "seizure_ref",
                text(60),
                "The seizure's number within its operation: a "
                "re-import updates the seizure with this number.",
                "S-1",
                required=True,
                field="reference",
            ),
            Column(
                "substance",
                vocabulary(Substance, "substance"),
                "Substance: code or name.",
                "cocaine",
                required=True,
                field="substance",
            ),
            Column(
                "quantity",
                number(18, 3),
                "Quantity seized, greater than zero.",
                "1250.5",
                required=True,
                field="quantity",
            ),
            Column(
                "unit",
                choice(Unit),
                f"One of {', '.join(Unit.values)}.",
                "kg",
                required=True,
                field="unit",
            ),
            Column(
                "mass_per_unit_kg",
                number(12, 6),
                "For units or plants: kilograms each.",
                "",
                field="mass_per_unit_kg",
                blank=None,
            ),
            Column(
                "seized_on",
                date,
                "Date of the seizure, within the operation's dates.",
                "2026-03-09",
                required=True,
                field="seized_on",
            ),
            Column(
                "seizure_country",
                country,
                "Country of the seizure: ISO code or name.",
                "COL",
                field="country",
                blank=None,
            ),
            Column("location", text(200), "Place of the seizure.", "Off Tumaco", field="location"),
            Column(
                "transport_mode",
                choice(TransportMode),
                f"One of {', '.join(TransportMode.values)}.",
                "semi_submersible",
                field="transport_mode",
            ),
            Column(
                "forensic_status",
                choice(ForensicStatus),
                f"One of {', '.join(ForensicStatus.values)}; not_tested when empty.",
                "confirmed",
                field="forensic_status",
                blank=ForensicStatus.NOT_TESTED,
            ),
            Column(
                "origin_country",
                country,
                "Country the drugs came from.",
                "",
                field="origin_country",
                blank=None,
            ),
            Column(
                "destination_country",
                country,
                "Country they were bound for.",
                "USA",
                field="destination_country",
                blank=None,
            ),
            Column("notes", text(LONG_TEXT), "Anything else.", "", field="notes"),
        ]

    def check(self, records: list[Record], report: Report) -> None:
        one_lead = _message(Participation, "participation_one_lead")
        listed_once = _message(Participation, "participation_unique")
        for record in records:
            if record.own is not None:
                taking_part = record.own.values["partners"]
                named = [partner for partner, _ in taking_part]
                if len(set(named)) < len(named):
                    report.add(record.own.row, "partners", listed_once)
                if sum(role == ParticipationRole.LEAD for _, role in taking_part) > 1:
                    report.add(record.own.row, "partners", one_lead)
                started, ended = record.own.values["started_on"], record.own.values["ended_on"]
            elif record.existing is not None:
                started, ended = record.existing["started_on"], record.existing["ended_on"]
            else:
                continue
            if not started:
                continue
            for seizure in record.children:
                seized = seizure.values["seized_on"]
                error = seized and Seizure.date_error(seized, started, ended)
                if error:
                    report.add(seizure.row, "seized_on", error)

    def write_links(self, cursor, records, ids, summary, user_id) -> None:
        given = [r for r in records if r.own is not None]
        countries = [(ids[r.key], c) for r in given for c in r.own.values["countries"]]
        countries_of = {ids[r.key] for r in given if r.own.values["countries"]}
        through = JointOperation.countries.through._meta.db_table
        summary["countries_changed"] = replace_links(
            cursor, through, "jointoperation_id", "country_id", countries_of, countries
        )
        taking_part = [
            (ids[r.key], partner, role) for r in given for partner, role in r.own.values["partners"]
        ]
        operations = sorted({ids[r.key] for r in given if r.own.values["partners"]})
        summary["participants_changed"] = write_participants(
            cursor, operations, taking_part, user_id
        )


def _message(model, name: str) -> str:
    constraint = next(c for c in model._meta.constraints if c.name == name)
    return str(constraint.violation_error_message)


def replace_links(cursor, table, owner, target, owners: set[int], links: list[tuple]) -> int:
    """Make the links of ``owners`` in a plain many-to-many table exactly ``links``."""
    if not owners:
        return 0
    cursor.execute(
        f"CREATE TEMP TABLE import_links ({qn(owner)} bigint, {qn(target)} text) ON COMMIT DROP"
    )
    with cursor.cursor.copy(f"COPY import_links ({qn(owner)}, {qn(target)}) FROM STDIN") as copy:
        for row in links:
            copy.write_row(row)
    cursor.execute(
        f"DELETE FROM {qn(table)} t WHERE t.{qn(owner)} = ANY(%s) AND NOT EXISTS ("
        f"SELECT 1 FROM import_links l WHERE l.{qn(owner)} = t.{qn(owner)} "
        f"AND l.{qn(target)} = t.{qn(target)}::text)",
        [sorted(owners)],
    )
    removed = cursor.rowcount
    cursor.execute(
        f"INSERT INTO {qn(table)} ({qn(owner)}, {qn(target)}) "
        f"SELECT {qn(owner)}, {qn(target)} FROM import_links "
        f"ON CONFLICT ({qn(owner)}, {qn(target)}) DO NOTHING"
    )
    added = cursor.rowcount
    cursor.execute("DROP TABLE import_links")
    return removed + added


def write_participants(cursor, operations: list[int], rows: list[tuple], user_id) -> int:
    """Make the participants of ``operations`` exactly ``rows`` (operation, partner, role)."""
    if not operations:
        return 0
    table = Participation._meta.db_table
    cursor.execute(
        "CREATE TEMP TABLE import_participants "
        "(operation_id bigint, partner_id bigint, role text) ON COMMIT DROP"
    )
    with cursor.cursor.copy(
        "COPY import_participants (operation_id, partner_id, role) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"SELECT p.id FROM {qn(table)} p WHERE p.operation_id = ANY(%s) AND NOT EXISTS ("
        "SELECT 1 FROM import_participants t WHERE t.operation_id = p.operation_id "
        "AND t.partner_id = p.partner_id)",
        [operations],
    )
    gone = [pk for (pk,) in cursor.fetchall()]
    if gone:
        # Through the ORM, as every delete: the deletions feed gets its tombstones.
        Participation.objects.filter(pk__in=gone).delete()
    # A lead that becomes another role first, so that the new lead fits the one-lead rule.
    cursor.execute(
        f"UPDATE {qn(table)} p SET role = t.role, updated_at = clock_timestamp(), "
        "updated_by_id = %s FROM import_participants t WHERE t.operation_id = p.operation_id "
        "AND t.partner_id = p.partner_id AND p.role = 'lead' AND t.role <> 'lead'",
        [user_id],
    )
    demoted = cursor.rowcount
    cursor.execute(
        f"INSERT INTO {qn(table)} AS p (operation_id, partner_id, role, contribution, "
        "created_at, updated_at, created_by_id, updated_by_id) "
        "SELECT operation_id, partner_id, role, '', clock_timestamp(), clock_timestamp(), "
        "%s, %s FROM import_participants "
        "ON CONFLICT (operation_id, partner_id) DO UPDATE SET role = EXCLUDED.role, "
        "updated_at = EXCLUDED.updated_at, updated_by_id = EXCLUDED.updated_by_id "
        "WHERE p.role <> EXCLUDED.role",
        [user_id, user_id],
    )
    written = cursor.rowcount
    cursor.execute("DROP TABLE import_participants")
    return len(gone) + demoted + written
