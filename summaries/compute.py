"""Computing a period's summaries in the database: one statement for every scope and audience.

The statement reads the period's records (agreements, operations, seizures, impact reports)
as *facts* ``(record, row, figure, value)`` — an operation as one row of what it adds to every
operations figure, whose sums go straight into JSON objects — tags each row with the scopes it
belongs to (global; each country and region it happened in or whose partner is a party; each
partner taking part) and each record with the audiences that may open it, sums per
(audience, scope, figure), and upserts one row per (audience, scope). It runs in one
transaction with the period's stale rows removed and the run recorded: a computation that
does not finish leaves nothing behind, and running it again gives the same figures.

Which records count for which figure, and the list of records behind each figure, are
declared in :mod:`summaries.figures`; the SQL here must agree with those declarations, and
the tests check that it does for every figure and audience.
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from agreements.models import Agreement
from cooperation.visibility import ReviewState, Sensitivity
from operations.models import JointOperation
from operations.stats import period_bounds
from summaries.figures import EXPIRING_WITHIN_DAYS, PAIRS
from summaries.models import (
    ADMINISTRATORS,
    PARTNER_PREFIX,
    PARTNERS,
    PUBLIC,
    CooperationSummary,
    Granularity,
    PairWitness,
    SummaryRun,
)

APPROVED = ReviewState.APPROVED.value  # only approved records are counted, for every audience
RESTRICTED = Sensitivity.RESTRICTED.value

# Raise when the figures or their definitions change: stored rows say which computation made
# them, so a reader can tell figures of different definitions apart.
VERSION = 3

# Who may open a record of each sensitivity, as summary audiences. Restricted records are
# also seen by the partners entitled to them (see ``entitled`` below).
AUDIENCES_OF_SENSITIVITY = {
    Sensitivity.PUBLIC: (PUBLIC, PARTNERS, ADMINISTRATORS),
    Sensitivity.PARTNERS: (PARTNERS, ADMINISTRATORS),
    Sensitivity.RESTRICTED: (ADMINISTRATORS,),
}


def _audience_bands() -> dict[str, str]:
    """Each base audience, with the SQL list of the sensitivities it may open."""
    audiences: dict[str, list[str]] = {}
    for sensitivity, readers in AUDIENCES_OF_SENSITIVITY.items():
        for audience in readers:
            audiences.setdefault(audience, []).append(f"'{sensitivity.value}'")
    return {audience: ", ".join(bands) for audience, bands in audiences.items()}


def _audience_sums(column: str = "value", suffixed: bool = False) -> str:
    """One SUM of ``column`` per base audience, over the sensitivities it may open (NULL:
    none), named after the audience (``suffixed``: ``<column>__<audience>``)."""
    return ", ".join(
        f"SUM({column}) FILTER (WHERE sensitivity IN ({bands})) "
        f"AS {f'{column}__{audience}' if suffixed else audience}"
        for audience, bands in _audience_bands().items()
    )


@dataclass(frozen=True)
class Wide:
    """Records tagged as one row per scope, with what each adds to several figures side by
    side (NULL: nothing, and no figure for a reader who sees only that) instead of a fact row
    per figure. Their figures go straight into one JSON object per scope and audience: each
    measure's total and, for those broken down, its sum per value of ``dim``
    (``<figure>.<by>.<value>``)."""

    table: str
    dim: str
    by: str
    # (column, SQL over the record's row ``r``, figure, broken down by ``dim``)
    measures: tuple[tuple[str, str, str, bool], ...]

    def tagging(self, rows: str, scopes: str, rec: str, where: str) -> str:
        """SQL: the rows (``r``) of ``rows`` with their scopes (``sc``) of ``scopes``."""
        measures = ", ".join(f"{sql} AS {column}" for column, sql, _, _ in self.measures)
        return f"""CREATE TEMPORARY TABLE {self.table} ON COMMIT DROP AS
            SELECT {rec} AS rec, r.sensitivity, sc.kind COLLATE "C" AS kind,
                   sc.key COLLATE "C" AS key, r.{self.dim} COLLATE "C" AS {self.dim}, {measures}
            FROM {rows} r JOIN {scopes} sc ON sc.row_id = r.row_id WHERE {where}"""

    def _object(self, suffix: str = "") -> str:
        """SQL: the JSON object of the figures, aggregating rows ``d`` of sums per ``dim``
        (named after their measure, and ``suffix``)."""
        totals = ", ".join(
            f"'{figure}', SUM(d.{column}{suffix})" for column, _, figure, _ in self.measures
        )
        parts = [f"jsonb_strip_nulls(jsonb_build_object({totals}))"]
        for column, _, figure, broken_down in self.measures:
            if broken_down:
                value = f"d.{column}{suffix}"
                parts.append(
                    f"COALESCE(jsonb_object_agg('{figure}.{self.by}.' || d.{self.dim}, {value}) "
                    f"FILTER (WHERE {value} IS NOT NULL), '{{}}')"
                )
        return " || ".join(parts)

    def base_objects(self) -> str:
        """SQL (audience, kind, key, metrics): each base audience's objects."""
        sums = ", ".join(_audience_sums(column, suffixed=True) for column, *_ in self.measures)
        objects = ", ".join(f"{self._object(f'__{a}')} AS {a}" for a in _audience_bands())
        return f"""
        SELECT o.audience, s.kind, s.key, o.metrics
        FROM (
            SELECT d.kind, d.key, {objects}
            FROM (
                SELECT kind, key, {self.dim}, {sums}
                FROM {self.table} GROUP BY key, kind, {self.dim}
            ) d GROUP BY d.key, d.kind
        ) s CROSS JOIN LATERAL (VALUES {_audience_columns("s")}) o(audience, metrics)
        WHERE o.metrics <> '{{}}'"""

    def band_objects(self, bands: str) -> str:
        """SQL (band, kind, key, metrics): what the restricted records add for each partner
        entitled to them (``bands``: rtype, rec, band)."""
        sums = ", ".join(f"SUM(t.{column}) AS {column}" for column, *_ in self.measures)
        return f"""
        SELECT d.band, d.kind, d.key, {self._object()}
        FROM (
            SELECT t.key, t.kind, pb.band, t.{self.dim}, {sums}
            FROM {self.table} t JOIN {bands} pb ON pb.rtype = 'o' AND pb.rec = t.rec
            WHERE t.sensitivity = '{RESTRICTED}'
            GROUP BY t.key, t.kind, pb.band, t.{self.dim}
        ) d GROUP BY d.key, d.kind, d.band"""


def _audience_columns(alias: str) -> str:
    return ", ".join(f"('{audience}', {alias}.{audience})" for audience in _audience_bands())


def _partner_bands(model, rtype: str, restricted: str | None = None) -> str:
    """SQL of (rtype, rec, band) for the restricted records of ``model`` in ``tagged`` (or
    those the SQL ``restricted`` selects): a band ``partner:<id>`` for each partner entitled
    to one, and for the partner that acts through that one (a government through its
    agencies: the inverse of ``Partner.objects.represented_by``)."""
    restricted = restricted or (
        f"SELECT rec FROM tagged WHERE rtype = '{rtype}' AND sensitivity = '{RESTRICTED}'"
    )
    entitled = model.objects.all().entitlement_sql(records=restricted)
    return f"""
        SELECT DISTINCT '{rtype}' AS rtype, e.record AS rec, '{PARTNER_PREFIX}' || x.partner AS band
        FROM ({entitled}) e
        JOIN cooperation_partner p ON p.id = e.partner
        CROSS JOIN LATERAL unnest(ARRAY[p.id, p.parent_id]) x(partner)
        WHERE x.partner IS NOT NULL
    """


def _country_scopes(rows: str, country_column: str) -> str:
    """Country and region scopes of ``rows`` (``row_id``, ``country``) by ``country_column``."""
    return f"""
        SELECT DISTINCT {rows}.row_id, 'country' AS kind, {country_column} AS key
        FROM {rows} WHERE {country_column} IS NOT NULL
        UNION ALL
        SELECT DISTINCT {rows}.row_id, 'region', g.code
        FROM {rows} JOIN cooperation_country c ON c.iso3 = {country_column}
        CROSS JOIN LATERAL unnest(
            ARRAY[c.region_id, c.subregion_id, c.intermediate_region_id]
        ) g(code)
        WHERE g.code IS NOT NULL
    """


def _participant_scopes(rows: str, operation_column: str) -> str:
    return f"""
        SELECT DISTINCT {rows}.row_id, 'partner', p.partner_id::text
        FROM {rows} JOIN operations_participation p ON p.operation_id = {operation_column}
    """


def _scopes(rows: str, countries: str, operation_column: str) -> str:
    """Every scope of ``rows`` (an operation's, a seizure's or an impact report's): global,
    the countries (``countries``: ``row_id``, ``country_id``) and their regions, and the
    partners taking part in the operation (``operation_column``)."""
    return f"""
        SELECT {rows}.row_id, 'global' AS kind, '' AS key FROM {rows}
        UNION ALL
        {_country_scopes(countries, f"{countries}.country_id")}
        UNION ALL
        {_participant_scopes(rows, operation_column)}
    """


OP_ROWS = "summary_op_rows"  # the period's operations, seizures and impact reports
SZ_ROWS = "summary_sz_rows"
IR_ROWS = "summary_ir_rows"
TAGGED = "summary_tagged"  # the period's facts with their scopes
OP_SCOPES = "summary_op_scopes"  # the scopes of the period's operations
# The period's operations, one row per scope: what each adds to the operations figures.
OPERATIONS = Wide(
    "summary_op_tagged",
    dim="kind_id",
    by="kind",
    measures=(
        ("started", "CASE WHEN r.started THEN 1 END", "operations.started", True),
        ("active", "CASE WHEN r.running THEN 1 END", "operations.active", True),
        ("completed", "CASE WHEN r.completed THEN 1 END", "operations.completed", True),
        ("arrests", "CASE WHEN r.started THEN r.arrests END", "outcomes.arrests", False),
        ("labs_dismantled", "CASE WHEN r.started THEN r.labs_dismantled END",
         "outcomes.labs_dismantled", False),
        ("hectares_eradicated", "CASE WHEN r.started THEN r.hectares_eradicated END",
         "outcomes.hectares_eradicated", False),
    ),
)  # fmt: skip
# The period's restricted operations (those of its seizures and impact reports too).
RESTRICTED_OPERATIONS = (
    f"SELECT rec FROM tagged WHERE rtype = 'o' AND sensitivity = '{RESTRICTED}' "
    f"UNION SELECT rec FROM {OPERATIONS.table} WHERE sensitivity = '{RESTRICTED}'"
)
BANDS = "summary_bands"  # the partners entitled to each restricted record
PAIR_COUNTS = "summary_pairs"  # partner pairs counted per audience and scope
PAIR_LEVELS = "summary_pair_levels"  # how widely each pair was seen before the period
PAIR_SEEN = "summary_pair_seen"  # partners that saw a pair before only in restricted work
# The strongest partner pairs, and those seen for the first time, are kept for the global
# scope, this many per summary.
PAIR_SCOPES = ("global",)
PAIR_SCOPES_SQL = ", ".join(f"'{kind}'" for kind in PAIR_SCOPES)
TOP_PAIRS = 5
TOP_NEW_PAIRS = 10
# A pair's level tells who could open an operation it took part in before the period: 3
# everyone (a public one), 2 the partners audience, 1 administrators only (restricted work;
# and the partners entitled to it), 0 nobody (there was none). A pair seen in the period is
# new to an audience when its level is below the audience's.
NEW_BELOW = {PUBLIC: 3, PARTNERS: 2, ADMINISTRATORS: 1}


def _pair_operations_before(start_param: str, sensitivity: Sensitivity, a: str, b: str) -> str:
    """SQL: the operations of ``sensitivity`` started before the period in which the partners
    ``a`` and ``b`` (SQL expressions of their ids) took part together."""
    return f"""
        SELECT o.id FROM operations_participation pa
        JOIN operations_participation pb
            ON pb.operation_id = pa.operation_id AND pb.partner_id = {b}
        JOIN operations_jointoperation o ON o.id = pa.operation_id
        WHERE pa.partner_id = {a} AND o.started_on < {start_param}
            AND o.sensitivity = '{sensitivity.value}' AND o.review_state = '{APPROVED}'"""


def _pair_before(start_param: str, sensitivity: Sensitivity) -> str:
    """SQL: the pair ``c`` (``a``, ``b``: partner ids) took part together in an operation of
    ``sensitivity`` started before the period."""
    return f"EXISTS ({_pair_operations_before(start_param, sensitivity, 'c.a', 'c.b')})"


EMPTY_FIGURES = '{"operations.started": 0}'  # a period with no records: its global rows


@dataclass
class Statement:
    sql: str
    params: list | dict
    writes_summaries: bool = False  # its row count is the number of summaries written


def summary_statements(
    granularity: str, start: datetime.date, computed_at: datetime.datetime, *, fresh: bool = False
) -> list[Statement]:
    """The statements that upsert every summary row of one period, stamped ``computed_at``
    (``fresh``: the period has no rows yet, so they are inserted without looking for any):
    one reads the period's facts tagged with their scopes into a temporary table, whose
    statistics are then taken (so that the sums are planned as hash aggregates, for their
    real size), and one sums them per audience and scope into the summaries."""
    _, end = period_bounds(start, granularity)
    params: list = []

    def p(value) -> str:
        params.append(value)
        return "%s"

    in_force_sql, in_force_params = (
        Agreement.objects.in_force(end)
        .filter(review_state=APPROVED)
        .order_by()
        .values("pk")
        .query.sql_with_params()
    )
    expiring_sql, expiring_params = (
        Agreement.objects.expiring_within(EXPIRING_WITHIN_DAYS, end)
        .filter(review_state=APPROVED)
        .order_by()
        .values("pk")
        .query.sql_with_params()
    )
    s, e = start, end
    ag_facts = f"""
        SELECT a.id AS rec, a.id AS row_id, 'agreements.signed' AS figure, 1::numeric AS value
        FROM agreements_agreement a WHERE a.signed_on BETWEEN {p(s)} AND {p(e)}
        UNION ALL
        SELECT a.id, a.id, 'agreements.entered_into_force', 1
        FROM agreements_agreement a WHERE a.entry_into_force_on BETWEEN {p(s)} AND {p(e)}
        UNION ALL
        SELECT f.pk, f.pk, 'agreements.in_force', 1 FROM ({in_force_sql}) f
    """
    params.extend(in_force_params)
    ag_facts += f"""
        UNION ALL
        SELECT f.pk, f.pk, 'agreements.expiring', 1 FROM ({expiring_sql}) f
    """
    params.extend(expiring_params)

    # Operations that started, were under way or completed in the period: three index ranges
    # (those that started before it count only if under way in it).
    op_rows = f"""
        SELECT o.id AS row_id, o.sensitivity, o.kind_id, o.arrests, o.labs_dismantled,
               o.hectares_eradicated,
               o.started_on >= %(start)s AS started,
               o.status IN ('active', 'completed') AS running,
               o.status = 'completed' AND o.ended_on <= %(end)s AS completed
        FROM operations_jointoperation o
        WHERE o.review_state = '{APPROVED}' AND (
              o.started_on BETWEEN %(start)s AND %(end)s
           OR (o.started_on < %(start)s AND o.ended_on >= %(start)s
               AND o.status IN ('active', 'completed'))
           OR (o.started_on < %(start)s AND o.ended_on IS NULL AND o.status = 'active'))
    """
    # Each pair of partners taking part together in an operation started in the period (a
    # partner takes part in an operation once: participation_unique).
    pair_facts = f"""
        SELECT o.row_id AS rec, o.row_id, o.sensitivity,
               '{PAIRS}partner.' || a.partner_id || '.with.' || b.partner_id AS figure,
               1::numeric AS value
        FROM op_rows o
        JOIN operations_participation a ON a.operation_id = o.row_id
        JOIN operations_participation b ON b.operation_id = o.row_id
             AND b.partner_id > a.partner_id
        WHERE o.started
    """
    sz_rows = f"""
        SELECT z.id AS row_id, z.operation_id, o.sensitivity, z.substance_id, sub.group_id,
               z.unit, z.quantity, z.kg_equivalent, z.country_id
        FROM operations_seizure z JOIN operations_substance sub ON sub.code = z.substance_id
        JOIN operations_jointoperation o ON o.id = z.operation_id
        WHERE z.seized_on BETWEEN %(start)s AND %(end)s AND o.review_state = '{APPROVED}'
    """
    sz_facts = """
        SELECT z.operation_id AS rec, z.row_id, z.sensitivity, f.figure, f.value
        FROM sz_rows z CROSS JOIN LATERAL (VALUES
            ('seizures.count', 1::numeric, true),
            ('seizures.kg', z.kg_equivalent, z.kg_equivalent IS NOT NULL),
            ('seizures.kg.group.' || z.group_id, z.kg_equivalent, z.kg_equivalent IS NOT NULL),
            ('seizures.kg.substance.' || z.substance_id, z.kg_equivalent,
             z.kg_equivalent IS NOT NULL),
            ('seizures.unconverted.substance.' || z.substance_id || '.unit.' || z.unit,
             z.quantity, z.kg_equivalent IS NULL)
        ) f(figure, value, applies)
        WHERE f.applies
    """
    ir_rows = f"""
        SELECT r.id AS row_id, r.operation_id, o.sensitivity, r.kind, r.severity, r.country_id
        FROM operations_communityimpactreport r
        JOIN operations_jointoperation o ON o.id = r.operation_id
        WHERE r.occurred_on BETWEEN %(start)s AND %(end)s AND o.review_state = '{APPROVED}'
    """
    ir_facts = """
        SELECT r.operation_id AS rec, r.row_id, r.sensitivity, f.figure, f.value
        FROM ir_rows r CROSS JOIN LATERAL (VALUES
            ('impact_reports.count', 1::numeric),
            ('impact_reports.count.kind.' || r.kind, 1),
            ('impact_reports.count.severity.' || r.severity, 1)
        ) f(figure, value)
    """
    ag_facts = f"""
        SELECT f.rec, f.row_id, a.sensitivity, f.figure, f.value
        FROM ({ag_facts}) f JOIN agreements_agreement a ON a.id = f.rec
        WHERE a.review_state = '{APPROVED}'
    """
    ag_rows = "SELECT DISTINCT row_id FROM ag_facts"
    ag_countries = """
        SELECT ag_rows.row_id, pa.country_id FROM ag_rows
        JOIN agreements_agreementparty ap ON ap.agreement_id = ag_rows.row_id
        JOIN cooperation_partner pa ON pa.id = ap.partner_id
    """
    ag_scopes = f"""
        SELECT ag_rows.row_id, 'global' AS kind, '' AS key FROM ag_rows
        UNION ALL
        SELECT DISTINCT ag_rows.row_id, 'partner', ap.partner_id::text
        FROM ag_rows JOIN agreements_agreementparty ap ON ap.agreement_id = ag_rows.row_id
        UNION ALL
        {_country_scopes("ag_countries", "ag_countries.country_id")}
    """
    op_countries = """
        SELECT oc.jointoperation_id AS row_id, oc.country_id FROM op_rows
        JOIN operations_jointoperation_countries oc ON oc.jointoperation_id = op_rows.row_id
    """
    op_scopes = _scopes("op_rows", "op_countries", "op_rows.row_id")
    sz_scopes = _scopes("sz_rows", "sz_rows", "sz_rows.operation_id")
    ir_scopes = _scopes("ir_rows", "ir_rows", "ir_rows.operation_id")
    sql = f"""
    WITH
    ag_facts AS ({ag_facts}),
    ag_rows AS ({ag_rows}),
    ag_countries AS ({ag_countries}),
    op_rows AS NOT MATERIALIZED (SELECT * FROM {OP_ROWS}),
    op_scopes AS NOT MATERIALIZED (SELECT * FROM {OP_SCOPES}),
    pair_facts AS ({pair_facts}),
    sz_rows AS NOT MATERIALIZED (SELECT * FROM {SZ_ROWS}),
    sz_facts AS ({sz_facts}),
    ir_rows AS NOT MATERIALIZED (SELECT * FROM {IR_ROWS}),
    ir_facts AS ({ir_facts}),
    tagged AS (
        SELECT 'a' AS rtype, f.rec, f.sensitivity, sc.kind, sc.key, f.figure, f.value
        FROM ag_facts f JOIN ({ag_scopes}) sc ON sc.row_id = f.row_id
        UNION ALL
        SELECT 'o', f.rec, f.sensitivity, sc.kind, sc.key, f.figure, f.value
        FROM pair_facts f JOIN op_scopes sc ON sc.row_id = f.row_id
        WHERE sc.kind IN ({PAIR_SCOPES_SQL})
        UNION ALL
        SELECT 'o', f.rec, f.sensitivity, sc.kind, sc.key, f.figure, f.value
        FROM sz_facts f JOIN ({sz_scopes}) sc ON sc.row_id = f.row_id
        UNION ALL
        SELECT 'o', f.rec, f.sensitivity, sc.kind, sc.key, f.figure, f.value
        FROM ir_facts f JOIN ({ir_scopes}) sc ON sc.row_id = f.row_id
    )
    SELECT rtype, rec, sensitivity, kind COLLATE "C" AS kind, key COLLATE "C" AS key,
           figure COLLATE "C" AS figure, value
    FROM tagged
    """
    # The period's rows are read first into tables of their own, whose statistics are taken:
    # planned from estimates of their filters (wrong by twentyfold), the joins of the
    # tagging read whole tables where an index lookup per row is what they need.
    reading = [
        Statement(
            f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {rows}", {"start": s, "end": e}
        )
        for table, rows in ((OP_ROWS, op_rows), (SZ_ROWS, sz_rows), (IR_ROWS, ir_rows))
    ]
    # An operation's scopes, and its rows (one per scope) with what it adds to each of the
    # operations' figures side by side, where facts would be up to nine rows.
    op_scoping = Statement(
        f"CREATE TEMPORARY TABLE {OP_SCOPES} ON COMMIT DROP AS "
        f"WITH op_rows AS (SELECT * FROM {OP_ROWS}), op_countries AS ({op_countries}) "
        f"{op_scopes}",
        [],
    )
    op_tagging = Statement(
        OPERATIONS.tagging(OP_ROWS, OP_SCOPES, "r.row_id", "r.started OR r.running OR r.completed"),
        [],
    )
    tagging = Statement(f"CREATE TEMPORARY TABLE {TAGGED} ON COMMIT DROP AS {sql}", params)
    banding = Statement(
        f"CREATE TEMPORARY TABLE {BANDS} ON COMMIT DROP AS "
        f"WITH tagged AS (SELECT * FROM {TAGGED}) "
        f"{_partner_bands(Agreement, 'a')} UNION ALL "
        f"{_partner_bands(JointOperation, 'o', RESTRICTED_OPERATIONS)}",
        [],
    )
    pairing = Statement(
        f"""CREATE TEMPORARY TABLE {PAIR_COUNTS} ON COMMIT DROP AS
        WITH pair_tagged AS (SELECT * FROM {TAGGED} WHERE starts_with(figure, '{PAIRS}'))
        SELECT a.audience, s.kind, s.key, s.figure, a.value
        FROM (
            SELECT kind, key, figure, {_audience_sums()}
            FROM pair_tagged GROUP BY kind, key, figure
        ) s CROSS JOIN LATERAL (VALUES {_audience_columns("s")}) a(audience, value)
        WHERE a.value IS NOT NULL
        UNION ALL
        SELECT pb.band, t.kind, t.key, t.figure, SUM(t.value)
        FROM pair_tagged t JOIN {BANDS} pb ON pb.rtype = t.rtype AND pb.rec = t.rec
        WHERE t.sensitivity = '{RESTRICTED}'
        GROUP BY 1, 2, 3, 4""",
        [],
    )
    # How widely each pair of the period was seen before it: three probes of the pair's
    # operations, in order, each stopping at the first one found. Nearly every pair was seen
    # before in public work; the first probe is the costly one (it walks both partners'
    # operations until they meet), so the public operation it finds is kept as the pair's
    # witness, and a later period checks that one operation instead (see PairWitness).
    pair_ids = (
        "SELECT figure, split_part(figure, '.', 3)::bigint AS a, "
        "split_part(figure, '.', 5)::bigint AS b FROM {table}{where}"
    )
    public_before = _pair_operations_before("%s", Sensitivity.PUBLIC, "c.a", "c.b")
    leveling = Statement(
        f"""CREATE TEMPORARY TABLE {PAIR_LEVELS} ON COMMIT DROP AS
        WITH checked AS MATERIALIZED (
            SELECT c.figure, c.a, c.b, EXISTS (
                {_pair_operations_before("%s", Sensitivity.PUBLIC, "w.partner_a", "w.partner_b")}
                AND o.id = w.operation_id) AS witnessed
            FROM ({pair_ids.format(table=PAIR_COUNTS, where="")} GROUP BY figure) c
            LEFT JOIN {PairWitness._meta.db_table} w ON w.partner_a = c.a AND w.partner_b = c.b
        )
        SELECT c.figure, c.a, c.b, CASE
            WHEN c.witnessed OR found.id IS NOT NULL THEN 3
            WHEN {_pair_before("%s", Sensitivity.PARTNERS)} THEN 2
            WHEN {_pair_before("%s", Sensitivity.RESTRICTED)} THEN 1
            ELSE 0 END AS level,
            found.id AS witness
        FROM checked c
        LEFT JOIN LATERAL ({public_before} AND NOT c.witnessed LIMIT 1) found ON true""",
        [start, start, start, start],
    )
    # The new witnesses, in key order (two periods computed at once lock them in the same
    # order); a witness replaced was gone, or too late for this period.
    witnessing = Statement(
        f"""INSERT INTO {PairWitness._meta.db_table} (partner_a, partner_b, operation_id)
        SELECT a, b, witness FROM {PAIR_LEVELS} WHERE witness IS NOT NULL ORDER BY a, b
        ON CONFLICT (partner_a, partner_b) DO UPDATE SET operation_id = EXCLUDED.operation_id""",
        [],
    )
    # The partners that opened a restricted operation of a pair seen before only in those.
    seeing = Statement(
        f"""CREATE TEMPORARY TABLE {PAIR_SEEN} ON COMMIT DROP AS
        WITH earlier AS MATERIALIZED (
            SELECT c.figure, pa.operation_id AS rec
            FROM ({pair_ids.format(table=PAIR_LEVELS, where=" WHERE level = 1")}) c
            JOIN operations_participation pa ON pa.partner_id = c.a
            JOIN operations_participation pb
                ON pb.operation_id = pa.operation_id AND pb.partner_id = c.b
            JOIN operations_jointoperation o ON o.id = pa.operation_id
            WHERE o.started_on < %s AND o.sensitivity = '{RESTRICTED}'
                AND o.review_state = '{APPROVED}'
        )
        SELECT DISTINCT e.band AS band, r.figure
        FROM earlier r
        JOIN ({_partner_bands(JointOperation, "o", "SELECT rec FROM earlier")}) e
            ON e.rec = r.rec""",
        [start],
    )
    wide_objects = (
        f"{OPERATIONS.base_objects()} UNION ALL {OPERATIONS.band_objects('partner_bands')}"
    )
    new_below = " ".join(f"WHEN '{audience}' THEN {level}" for audience, level in NEW_BELOW.items())
    params = []
    sql = f"""
    WITH
    tagged AS NOT MATERIALIZED (SELECT * FROM {TAGGED}),
    partner_bands AS NOT MATERIALIZED (SELECT * FROM {BANDS}),
    -- Each figure of each scope summed once per base audience over the bands it may open.
    audienced AS (
        SELECT kind, key, figure, {_audience_sums()}
        FROM tagged WHERE NOT starts_with(figure, '{PAIRS}') GROUP BY kind, key, figure
    ),
    figures AS (
        SELECT a.audience, s.kind, s.key, s.figure, a.value
        FROM audienced s CROSS JOIN LATERAL (VALUES {_audience_columns("s")}) a(audience, value)
        WHERE a.value IS NOT NULL
        UNION ALL
        -- A partner's row holds what its restricted records add to the partners row.
        SELECT pb.band, t.kind, t.key, t.figure, SUM(t.value)
        FROM tagged t JOIN partner_bands pb ON pb.rtype = t.rtype AND pb.rec = t.rec
        WHERE t.sensitivity = '{RESTRICTED}'
            AND NOT starts_with(t.figure, '{PAIRS}')
        GROUP BY t.key, t.kind, pb.band, t.figure
    ),
    -- The strongest pairs: the top few per base audience and scope; for a partner's row, the
    -- top few of the pairs it sees (the partners row's counts and what its restricted records
    -- add), among the partners row's top pairs and the pairs of its restricted records.
    base_pairs AS NOT MATERIALIZED (
        SELECT * FROM {PAIR_COUNTS} WHERE NOT starts_with(audience, '{PARTNER_PREFIX}')
    ),
    top_base AS (
        SELECT audience, kind, key, figure, value FROM (
            SELECT *, row_number() OVER (
                PARTITION BY audience, kind, key ORDER BY value DESC, figure) AS rank
            FROM base_pairs
        ) ranked WHERE rank <= {TOP_PAIRS}
    ),
    partner_pairs AS NOT MATERIALIZED (
        SELECT * FROM {PAIR_COUNTS} WHERE starts_with(audience, '{PARTNER_PREFIX}')
    ),
    pair_levels AS NOT MATERIALIZED (SELECT * FROM {PAIR_LEVELS}),
    -- Pairs seen for the first time by a base audience: none of their earlier operations
    -- could be opened by it.
    new_base AS (
        SELECT b.audience, b.kind, b.key, b.figure, b.value
        FROM base_pairs b JOIN pair_levels l ON l.figure = b.figure
        WHERE l.level < CASE b.audience {new_below} END
    ),
    -- Every partner band has a row in each pair scope: each of its records counts globally;
    -- so has a partner that saw before, in restricted work, a pair new to the partners row.
    partner_rows AS (
        SELECT DISTINCT band AS audience, 'global' AS kind, '' AS key FROM partner_bands
        UNION
        SELECT s.band, n.kind, n.key
        FROM {PAIR_SEEN} s JOIN new_base n ON n.audience = '{PARTNERS}' AND n.figure = s.figure
    ),
    candidates AS (
        SELECT audience, kind, key, figure FROM partner_pairs
        UNION
        SELECT r.audience, r.kind, r.key, t.figure
        FROM partner_rows r JOIN top_base t
            ON t.audience = '{PARTNERS}' AND t.kind = r.kind AND t.key = r.key
    ),
    top_partner AS (
        SELECT audience, kind, key, figure, value FROM (
            SELECT c.audience, c.kind, c.key, c.figure,
                   COALESCE(b.value, 0) + COALESCE(d.value, 0) AS value,
                   row_number() OVER (PARTITION BY c.audience, c.kind, c.key
                       ORDER BY COALESCE(b.value, 0) + COALESCE(d.value, 0) DESC, c.figure
                   ) AS rank
            FROM candidates c
            LEFT JOIN base_pairs b ON b.audience = '{PARTNERS}' AND b.kind = c.kind
                AND b.key = c.key AND b.figure = c.figure
            LEFT JOIN partner_pairs d ON d.audience = c.audience AND d.kind = c.kind
                AND d.key = c.key AND d.figure = c.figure
        ) ranked WHERE rank <= {TOP_PAIRS}
    ),
    -- Among the pairs new to the partners row, a partner's row needs no more than the first
    -- few (by the order it ranks them in) past the places its own new pairs and those it saw
    -- before may take.
    new_ranked AS (
        SELECT kind, key, figure,
               row_number() OVER (PARTITION BY kind, key ORDER BY value DESC, figure) AS rank
        FROM new_base WHERE audience = '{PARTNERS}'
    ),
    new_taken AS (
        SELECT audience, count(*) AS places FROM (
            SELECT d.audience FROM partner_pairs d JOIN pair_levels l ON l.figure = d.figure
            WHERE l.level < {NEW_BELOW[PARTNERS]}
            UNION ALL SELECT band FROM {PAIR_SEEN}
        ) taken GROUP BY audience
    ),
    -- A partner's new pairs: those new to the partners row or seen in the period only in its
    -- restricted work, that it did not see before in restricted work.
    new_candidates AS (
        SELECT r.audience, r.kind, r.key, n.figure
        FROM partner_rows r
        JOIN new_ranked n ON n.kind = r.kind AND n.key = r.key
        LEFT JOIN new_taken t ON t.audience = r.audience
        WHERE n.rank <= {TOP_NEW_PAIRS} + COALESCE(t.places, 0)
        UNION
        SELECT d.audience, d.kind, d.key, d.figure
        FROM partner_pairs d JOIN pair_levels l ON l.figure = d.figure
        WHERE l.level < {NEW_BELOW[PARTNERS]}
    ),
    new_partner AS (
        SELECT c.audience, c.kind, c.key, c.figure,
               COALESCE(b.value, 0) + COALESCE(d.value, 0) AS value
        FROM new_candidates c
        LEFT JOIN base_pairs b ON b.audience = '{PARTNERS}' AND b.kind = c.kind
            AND b.key = c.key AND b.figure = c.figure
        LEFT JOIN partner_pairs d ON d.audience = c.audience AND d.kind = c.kind
            AND d.key = c.key AND d.figure = c.figure
        WHERE NOT EXISTS (
            SELECT 1 FROM {PAIR_SEEN} s WHERE s.band = c.audience AND s.figure = c.figure)
    ),
    top_new AS (
        SELECT audience, kind, key,
               '{PAIRS}new.' || substr(figure, {len(PAIRS) + 1}) AS figure, value
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY audience, kind, key ORDER BY value DESC, figure) AS rank
            FROM (SELECT * FROM new_base UNION ALL SELECT * FROM new_partner) n
        ) ranked WHERE rank <= {TOP_NEW_PAIRS}
    ),
    stored AS (
        SELECT audience, kind, key, figure, value FROM figures
        UNION ALL SELECT * FROM top_base
        UNION ALL SELECT * FROM top_partner
        UNION ALL SELECT * FROM top_new
    ),
    folded AS (
        SELECT audience, kind, key, jsonb_object_agg(figure, value) AS metrics
        FROM stored GROUP BY key, kind, audience
    ),
    wide AS ({wide_objects})
    INSERT INTO summaries_cooperationsummary
        (granularity, period_start, period_end, scope_kind, scope_key, audience, metrics,
         computed_at, data_cutoff, version)
    SELECT {p(granularity)}, {p(start)}, {p(end)}, COALESCE(f.kind, w.kind),
           COALESCE(f.key, w.key), COALESCE(f.audience, w.audience),
           COALESCE(f.metrics, '{{}}') || COALESCE(w.metrics, '{{}}'),
           {p(computed_at)}, statement_timestamp(), {p(VERSION)}
    FROM folded f FULL JOIN wide w
        ON w.kind = f.kind AND w.key = f.key AND w.audience = f.audience
    """
    # Rows computed before keep their ids (the API's URLs of them): they are updated in place.
    # A period computed for the first time has none, and no other run can add one while this
    # one holds the period's lock: its rows go in without a speculative insertion each.
    if not fresh:
        sql += """
    ON CONFLICT (granularity, period_start, scope_kind, scope_key, audience) DO UPDATE SET
        period_end = EXCLUDED.period_end, metrics = EXCLUDED.metrics,
        computed_at = EXCLUDED.computed_at, data_cutoff = EXCLUDED.data_cutoff,
        version = EXCLUDED.version
    """
    upsert = Statement(sql, params, writes_summaries=True)
    params = []
    # Every base audience has a global row, even for a period with no records.
    seeds = ", ".join(
        f"({p(granularity)}, {p(start)}, {p(end)}, 'global', '', {p(audience)}, "
        f"{p(EMPTY_FIGURES)}::jsonb, {p(computed_at)}, statement_timestamp(), {p(VERSION)})"
        for audience in (PUBLIC, PARTNERS, ADMINISTRATORS)
    )
    seeding = Statement(
        "INSERT INTO summaries_cooperationsummary (granularity, period_start, period_end, "
        "scope_kind, scope_key, audience, metrics, computed_at, data_cutoff, version) "
        f"VALUES {seeds} "
        # A row this run wrote already stands; one left from an earlier run (an audience with
        # nothing this time) is emptied and stamped, or the clean-up below would remove it.
        "ON CONFLICT (granularity, period_start, scope_kind, scope_key, audience) DO UPDATE SET "
        "period_end = EXCLUDED.period_end, metrics = EXCLUDED.metrics, "
        "computed_at = EXCLUDED.computed_at, data_cutoff = EXCLUDED.data_cutoff, "
        "version = EXCLUDED.version "
        "WHERE summaries_cooperationsummary.computed_at <> EXCLUDED.computed_at",
        params,
        writes_summaries=True,
    )
    # Dropped at once, not only at commit: a run inside a caller's transaction may be followed
    # by another.
    return [
        *reading,
        Statement(f"ANALYZE {OP_ROWS}, {SZ_ROWS}, {IR_ROWS}", []),
        op_scoping,
        op_tagging,
        tagging,
        Statement(f"ANALYZE {TAGGED}, {OPERATIONS.table}", []),
        banding,
        Statement(f"ANALYZE {BANDS}", []),
        pairing,
        Statement(f"ANALYZE {PAIR_COUNTS}", []),
        leveling,
        seeing,
        Statement(f"ANALYZE {PAIR_LEVELS}, {PAIR_SEEN}", []),
        upsert,
        seeding,
        witnessing,
        Statement(
            f"DROP TABLE {OP_ROWS}, {SZ_ROWS}, {IR_ROWS}, {OP_SCOPES}, {OPERATIONS.table}, "
            f"{TAGGED}, {BANDS}, {PAIR_COUNTS}, "
            f"{PAIR_LEVELS}, {PAIR_SEEN}",
            [],
        ),
    ]


# A backfill of at least this many periods first finds every pair's earliest public operation
# in one pass (about as long as three periods' own searches), instead of each period searching
# for the pairs no witness vouches for yet, one pair at a time.
SEED_WITNESSES_FROM = 12


def seed_pair_witnesses() -> int:
    """Keep as each pair's witness its earliest approved public operation (the one that vouches
    for the most periods), found for every pair at once. Returns the witnesses written."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {PairWitness._meta.db_table} (partner_a, partner_b, operation_id)
            SELECT DISTINCT ON (pa.partner_id, pb.partner_id)
                pa.partner_id, pb.partner_id, o.id
            FROM operations_participation pa
            JOIN operations_participation pb
                ON pb.operation_id = pa.operation_id AND pb.partner_id > pa.partner_id
            JOIN operations_jointoperation o ON o.id = pa.operation_id
            WHERE o.sensitivity = %s AND o.review_state = %s
            ORDER BY pa.partner_id, pb.partner_id, o.started_on, o.id
            ON CONFLICT (partner_a, partner_b) DO UPDATE SET operation_id = EXCLUDED.operation_id
            WHERE {PairWitness._meta.db_table}.operation_id <> EXCLUDED.operation_id""",
            [Sensitivity.PUBLIC.value, APPROVED],
        )
        return max(cursor.rowcount, 0)


@dataclass(frozen=True)
class Outcome:
    granularity: str
    period_start: datetime.date
    rows: int
    seconds: float


def compute(granularity: str, start: datetime.date, *, task_id: str | None = None) -> Outcome:
    """Compute and store the summaries of the period of ``granularity`` starting on ``start``,
    replacing that period's earlier rows, in one transaction. Concurrent runs of one period
    wait for each other. ``task_id`` (a Celery task's id) is recorded once: a redelivered task
    that already finished raises ``IntegrityError`` and changes nothing."""
    if granularity not in Granularity.values:
        raise ValueError(f"unknown granularity {granularity!r}")
    if start != period_start(granularity, start):
        raise ValueError(f"{start} does not start a {granularity}")
    began = time.perf_counter()
    stamp = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"summaries:{granularity}:{start}"]
        )
        fresh = not CooperationSummary.objects.filter(
            granularity=granularity, period_start=start
        ).exists()
        statements = summary_statements(granularity, start, stamp, fresh=fresh)
        rows = 0
        for statement in statements:
            cursor.execute(statement.sql, statement.params)
            if statement.writes_summaries:
                rows += max(cursor.rowcount, 0)
        # Rows this run did not write (a scope or an audience with nothing left) go.
        cursor.execute(
            "DELETE FROM summaries_cooperationsummary "
            "WHERE granularity = %s AND period_start = %s AND computed_at <> %s",
            [granularity, start, stamp],
        )
        seconds = time.perf_counter() - began
        SummaryRun.objects.create(
            task_id=task_id or f"manual-{uuid.uuid4()}",
            granularity=granularity,
            period_start=start,
            rows=rows,
            finished_at=timezone.now(),
            seconds=seconds,
        )
    return Outcome(granularity, start, rows, seconds)


def period_start(granularity: str, day: datetime.date) -> datetime.date:
    """The first day of the period of ``granularity`` that contains ``day``."""
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    if granularity == Granularity.QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def periods(granularity: str, first: datetime.date, last: datetime.date):
    """Starts of the periods of ``granularity`` from the one containing ``first`` to the one
    containing ``last``, in order."""
    current = period_start(granularity, first)
    while current <= last:
        yield current
        current = period_bounds(current, granularity)[1] + datetime.timedelta(days=1)


def previous_period(granularity: str, today: datetime.date) -> datetime.date:
    """The start of the last complete period before ``today``'s."""
    return period_start(granularity, period_start(granularity, today) - datetime.timedelta(days=1))
