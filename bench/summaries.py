"""Benchmark: the cooperation summaries on a large database.

    DATABASE_URL=postgres://…/bench_dataset .venv/bin/python bench/summaries.py \
        [--month 2024-03] [--runs 3] [--years 10] [--jobs 2] [--no-backfill]

Needs a database filled by ``generate_dataset`` (``bench/generate_dataset.py --keep``) and
migrated to the code under test. Prints:

1. one month's summaries for every scope and audience (``summaries.compute.compute``: read,
   sum, upsert, in one transaction): median time and rows written;
   (and the same the first time, with no pair witness kept yet);
2. the same figures from one hand-written SQL statement that only reads and sums (no
   temporary table, no JSON, no writing) — checked to give exactly the figures stored — and
   the ratio of the two (goal: at most 1.5);
3. a full monthly backfill of the last ``--years`` years with ``manage.py summaries``, from
   scratch: no summaries and no pair witnesses (goal: under 5 minutes).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from operations.models import JointOperation  # noqa: E402
from operations.stats import period_bounds  # noqa: E402
from summaries.compute import compute  # noqa: E402
from summaries.models import CooperationSummary, PairWitness  # noqa: E402

# The figures of one period for every audience and scope, written by hand as one statement:
# facts per record, their scopes, sums per sensitivity (FILTER) and per entitled partner, and
# the five strongest partner pairs per audience and the pairs seen for the first time.
HAND_WRITTEN = """
WITH
ops AS MATERIALIZED (
  SELECT id, sensitivity, kind_id, arrests, labs_dismantled, hectares_eradicated,
         started_on >= %(s)s AS started,
         status IN ('active', 'completed') AS running,
         status = 'completed' AND ended_on <= %(e)s AS completed
  FROM operations_jointoperation
  WHERE review_state = 'approved' AND (started_on BETWEEN %(s)s AND %(e)s
     OR (started_on < %(s)s AND ended_on >= %(s)s AND status IN ('active', 'completed'))
     OR (started_on < %(s)s AND ended_on IS NULL AND status = 'active'))
),
op_scope AS (
  SELECT id AS row_id, 'global' AS kind, '' AS key FROM ops
  UNION ALL SELECT DISTINCT oc.jointoperation_id, 'country', oc.country_id
    FROM operations_jointoperation_countries oc JOIN ops ON ops.id = oc.jointoperation_id
  UNION ALL SELECT DISTINCT oc.jointoperation_id, 'region', r
    FROM operations_jointoperation_countries oc JOIN ops ON ops.id = oc.jointoperation_id
    JOIN cooperation_country c ON c.iso3 = oc.country_id,
    unnest(ARRAY[c.region_id, c.subregion_id, c.intermediate_region_id]) r WHERE r IS NOT NULL
  UNION ALL SELECT DISTINCT p.operation_id, 'partner', p.partner_id::text
    FROM operations_participation p JOIN ops ON ops.id = p.operation_id
),
op_fact AS (
  SELECT o.id AS rec, o.id AS row_id, o.sensitivity, f.figure, f.value FROM ops o,
  LATERAL (VALUES
    ('operations.started', 1::numeric, o.started),
    ('operations.started.kind.' || o.kind_id, 1, o.started),
    ('outcomes.arrests', o.arrests, o.started),
    ('outcomes.labs_dismantled', o.labs_dismantled, o.started),
    ('outcomes.hectares_eradicated', o.hectares_eradicated, o.started),
    ('operations.active', 1, o.running),
    ('operations.active.kind.' || o.kind_id, 1, o.running),
    ('operations.completed', 1, o.completed),
    ('operations.completed.kind.' || o.kind_id, 1, o.completed)) f(figure, value, applies)
  WHERE f.applies
),
sz AS MATERIALIZED (
  SELECT z.id, z.operation_id, o.sensitivity, z.substance_id, s.group_id, z.unit, z.quantity,
         z.kg_equivalent, z.country_id
  FROM operations_seizure z JOIN operations_substance s ON s.code = z.substance_id
  JOIN operations_jointoperation o ON o.id = z.operation_id
  WHERE z.seized_on BETWEEN %(s)s AND %(e)s AND o.review_state = 'approved'
),
sz_fact AS (
  SELECT z.operation_id AS rec, z.id AS row_id, z.sensitivity, f.figure, f.value FROM sz z,
  LATERAL (VALUES
    ('seizures.count', 1::numeric, true),
    ('seizures.kg', z.kg_equivalent, z.kg_equivalent IS NOT NULL),
    ('seizures.kg.group.' || z.group_id, z.kg_equivalent, z.kg_equivalent IS NOT NULL),
    ('seizures.kg.substance.' || z.substance_id, z.kg_equivalent, z.kg_equivalent IS NOT NULL),
    ('seizures.unconverted.substance.' || z.substance_id || '.unit.' || z.unit, z.quantity,
     z.kg_equivalent IS NULL)) f(figure, value, applies)
  WHERE f.applies
),
sz_scope AS (
  SELECT id AS row_id, 'global' AS kind, '' AS key FROM sz
  UNION ALL SELECT id, 'country', country_id FROM sz WHERE country_id IS NOT NULL
  UNION ALL SELECT DISTINCT sz.id, 'region', r FROM sz
    JOIN cooperation_country c ON c.iso3 = sz.country_id,
    unnest(ARRAY[c.region_id, c.subregion_id, c.intermediate_region_id]) r WHERE r IS NOT NULL
  UNION ALL SELECT DISTINCT sz.id, 'partner', p.partner_id::text
    FROM sz JOIN operations_participation p ON p.operation_id = sz.operation_id
),
ir AS MATERIALIZED (
  SELECT r.id, r.operation_id, o.sensitivity, r.kind, r.severity, r.country_id
  FROM operations_communityimpactreport r JOIN operations_jointoperation o
    ON o.id = r.operation_id
  WHERE r.occurred_on BETWEEN %(s)s AND %(e)s AND o.review_state = 'approved'
),
ir_fact AS (
  SELECT ir.operation_id AS rec, ir.id AS row_id, ir.sensitivity, f.figure, f.value FROM ir,
  LATERAL (VALUES ('impact_reports.count', 1::numeric),
    ('impact_reports.count.kind.' || ir.kind, 1),
    ('impact_reports.count.severity.' || ir.severity, 1)) f(figure, value)
),
ir_scope AS (
  SELECT id AS row_id, 'global' AS kind, '' AS key FROM ir
  UNION ALL SELECT id, 'country', country_id FROM ir WHERE country_id IS NOT NULL
  UNION ALL SELECT DISTINCT ir.id, 'region', r FROM ir
    JOIN cooperation_country c ON c.iso3 = ir.country_id,
    unnest(ARRAY[c.region_id, c.subregion_id, c.intermediate_region_id]) r WHERE r IS NOT NULL
  UNION ALL SELECT DISTINCT ir.id, 'partner', p.partner_id::text
    FROM ir JOIN operations_participation p ON p.operation_id = ir.operation_id
),
ag AS MATERIALIZED (
  SELECT a.id, a.sensitivity, f.figure FROM agreements_agreement a,
  LATERAL (SELECT a.entry_into_force_on <= %(e)s
      AND (a.terminated_on IS NULL OR a.terminated_on > %(e)s)
      AND (a.expires_on IS NULL OR a.expires_on >= %(e)s)
      AND (a.suspended_on IS NULL OR a.suspended_on > %(e)s) AS in_force) st,
  LATERAL (VALUES
    ('agreements.signed', a.signed_on BETWEEN %(s)s AND %(e)s),
    ('agreements.entered_into_force', a.entry_into_force_on BETWEEN %(s)s AND %(e)s),
    ('agreements.in_force', st.in_force),
    ('agreements.expiring', st.in_force AND a.expires_on <= %(e)s + 180)) f(figure, applies)
  WHERE f.applies AND a.review_state = 'approved'
),
ag_scope AS (
  SELECT DISTINCT id AS row_id, 'global' AS kind, '' AS key FROM ag
  UNION ALL SELECT DISTINCT ag.id, 'partner', p.partner_id::text
    FROM ag JOIN agreements_agreementparty p ON p.agreement_id = ag.id
  UNION ALL SELECT DISTINCT ag.id, 'country', pa.country_id
    FROM ag JOIN agreements_agreementparty p ON p.agreement_id = ag.id
    JOIN cooperation_partner pa ON pa.id = p.partner_id WHERE pa.country_id IS NOT NULL
  UNION ALL SELECT DISTINCT ag.id, 'region', r
    FROM ag JOIN agreements_agreementparty p ON p.agreement_id = ag.id
    JOIN cooperation_partner pa ON pa.id = p.partner_id
    JOIN cooperation_country c ON c.iso3 = pa.country_id,
    unnest(ARRAY[c.region_id, c.subregion_id, c.intermediate_region_id]) r WHERE r IS NOT NULL
),
tagged AS MATERIALIZED (
  SELECT 'o' AS t, f.rec, f.sensitivity, s.kind, s.key, f.figure, f.value
    FROM op_fact f JOIN op_scope s USING (row_id)
  UNION ALL SELECT 'o', f.rec, f.sensitivity, s.kind, s.key, f.figure, f.value
    FROM sz_fact f JOIN sz_scope s USING (row_id)
  UNION ALL SELECT 'o', f.rec, f.sensitivity, s.kind, s.key, f.figure, f.value
    FROM ir_fact f JOIN ir_scope s USING (row_id)
  UNION ALL SELECT 'a', ag.id, ag.sensitivity, s.kind, s.key, ag.figure, 1
    FROM ag JOIN ag_scope s ON s.row_id = ag.id
),
entitled AS (
  SELECT 'o' AS t, operation_id AS rec, partner_id FROM operations_participation
    WHERE operation_id IN (SELECT rec FROM tagged WHERE t = 'o' AND sensitivity = 'restricted')
  UNION SELECT 'o', jointoperation_id, partner_id FROM operations_jointoperation_shared_with
    WHERE jointoperation_id IN (SELECT rec FROM tagged WHERE t = 'o' AND sensitivity = 'restricted')
  UNION SELECT 'a', agreement_id, partner_id FROM agreements_agreementparty
    WHERE agreement_id IN (SELECT rec FROM tagged WHERE t = 'a' AND sensitivity = 'restricted')
  UNION SELECT 'a', agreement_id, partner_id FROM agreements_agreement_shared_with
    WHERE agreement_id IN (SELECT rec FROM tagged WHERE t = 'a' AND sensitivity = 'restricted')
  UNION SELECT 'a', id, facilitator_id FROM agreements_agreement
    WHERE facilitator_id IS NOT NULL
      AND id IN (SELECT rec FROM tagged WHERE t = 'a' AND sensitivity = 'restricted')
),
readers AS MATERIALIZED (
  SELECT DISTINCT e.t, e.rec, 'partner:' || x AS audience FROM entitled e
  JOIN cooperation_partner p ON p.id = e.partner_id, unnest(ARRAY[p.id, p.parent_id]) x
  WHERE x IS NOT NULL
),
pairs AS MATERIALIZED (
  SELECT o.id AS rec, o.sensitivity, a.partner_id AS x, b.partner_id AS y,
         ('pairs.partner.' || a.partner_id || '.with.' || b.partner_id) COLLATE "C" AS figure
  FROM ops o JOIN operations_participation a ON a.operation_id = o.id
  JOIN operations_participation b ON b.operation_id = o.id AND b.partner_id > a.partner_id
  WHERE o.started
),
pair_counts AS MATERIALIZED (
  SELECT figure, x, y, count(*) FILTER (WHERE sensitivity = 'public') AS public,
         count(*) FILTER (WHERE sensitivity IN ('public', 'partners')) AS partners,
         count(*) AS administrators
  FROM pairs GROUP BY figure, x, y
),
pair_partner AS MATERIALIZED (
  SELECT r.audience, p.figure, count(*) AS n FROM pairs p
  JOIN readers r ON r.t = 'o' AND r.rec = p.rec WHERE p.sensitivity = 'restricted'
  GROUP BY 1, 2
),
-- Who could open an earlier operation of each pair: 3 all, 2 partners, 1 administrators.
pair_level AS MATERIALIZED (
  SELECT c.figure, c.x, c.y, CASE
    WHEN EXISTS (SELECT 1 FROM operations_participation a
      JOIN operations_participation b ON b.operation_id = a.operation_id AND b.partner_id = c.y
      JOIN operations_jointoperation o ON o.id = a.operation_id
      WHERE a.partner_id = c.x AND o.started_on < %(s)s AND o.sensitivity = 'public'
        AND o.review_state = 'approved') THEN 3
    WHEN EXISTS (SELECT 1 FROM operations_participation a
      JOIN operations_participation b ON b.operation_id = a.operation_id AND b.partner_id = c.y
      JOIN operations_jointoperation o ON o.id = a.operation_id
      WHERE a.partner_id = c.x AND o.started_on < %(s)s AND o.sensitivity = 'partners'
        AND o.review_state = 'approved') THEN 2
    WHEN EXISTS (SELECT 1 FROM operations_participation a
      JOIN operations_participation b ON b.operation_id = a.operation_id AND b.partner_id = c.y
      JOIN operations_jointoperation o ON o.id = a.operation_id
      WHERE a.partner_id = c.x AND o.started_on < %(s)s AND o.sensitivity = 'restricted'
        AND o.review_state = 'approved') THEN 1
    ELSE 0 END AS level
  FROM pair_counts c
),
earlier AS MATERIALIZED (
  SELECT l.figure, a.operation_id AS rec FROM pair_level l
  JOIN operations_participation a ON a.partner_id = l.x
  JOIN operations_participation b ON b.operation_id = a.operation_id AND b.partner_id = l.y
  JOIN operations_jointoperation o ON o.id = a.operation_id
  WHERE l.level = 1 AND o.started_on < %(s)s AND o.sensitivity = 'restricted'
    AND o.review_state = 'approved'
),
seen AS MATERIALIZED (
  SELECT DISTINCT e.figure, 'partner:' || z AS audience FROM earlier e
  JOIN (SELECT operation_id AS rec, partner_id FROM operations_participation
          WHERE operation_id IN (SELECT rec FROM earlier)
        UNION SELECT jointoperation_id, partner_id FROM operations_jointoperation_shared_with
          WHERE jointoperation_id IN (SELECT rec FROM earlier)) w ON w.rec = e.rec
  JOIN cooperation_partner p ON p.id = w.partner_id, unnest(ARRAY[p.id, p.parent_id]) z
  WHERE z IS NOT NULL
),
new_base AS MATERIALIZED (
  SELECT a.audience, c.figure, a.n FROM pair_counts c JOIN pair_level l USING (figure),
  LATERAL (VALUES ('public', c.public, 3), ('partners', c.partners, 2),
                  ('administrators', c.administrators, 1)) a(audience, n, below)
  WHERE a.n > 0 AND l.level < a.below
),
pair_readers AS MATERIALIZED (
  SELECT DISTINCT audience FROM readers
  UNION SELECT s.audience FROM seen s
  JOIN new_base n ON n.audience = 'partners' AND n.figure = s.figure
),
new_top AS (
  SELECT audience, 'pairs.new.' || substr(figure, 7) AS figure, n FROM (
    SELECT *, row_number() OVER (PARTITION BY audience ORDER BY n DESC, figure) AS rank FROM (
      SELECT audience, figure, n FROM new_base
      UNION ALL
      SELECT c.audience, c.figure, COALESCE(pc.partners, 0) + COALESCE(pp.n, 0)
      FROM (SELECT r.audience, n.figure FROM pair_readers r
              JOIN new_base n ON n.audience = 'partners'
            UNION SELECT pp.audience, pp.figure FROM pair_partner pp
              JOIN pair_level l ON l.figure = pp.figure AND l.level < 2) c
      LEFT JOIN pair_counts pc ON pc.figure = c.figure
      LEFT JOIN pair_partner pp ON pp.audience = c.audience AND pp.figure = c.figure
      WHERE NOT EXISTS (SELECT 1 FROM seen s
                        WHERE s.audience = c.audience AND s.figure = c.figure)) n
  ) x WHERE rank <= 10
),
base_top AS MATERIALIZED (
  SELECT audience, figure, n FROM (
    SELECT a.audience, c.figure, a.n,
           row_number() OVER (PARTITION BY a.audience ORDER BY a.n DESC, c.figure) AS rank
    FROM pair_counts c, LATERAL (VALUES ('public', c.public), ('partners', c.partners),
                                        ('administrators', c.administrators)) a(audience, n)
    WHERE a.n > 0) x
  WHERE rank <= 5
),
partner_top AS (
  SELECT audience, figure, n FROM (
    SELECT c.audience, c.figure, COALESCE(pc.partners, 0) + COALESCE(pp.n, 0) AS n,
           row_number() OVER (PARTITION BY c.audience
               ORDER BY COALESCE(pc.partners, 0) + COALESCE(pp.n, 0) DESC, c.figure) AS rank
    FROM (SELECT audience, figure FROM pair_partner
          UNION SELECT r.audience, t.figure FROM pair_readers r
          JOIN base_top t ON t.audience = 'partners') c
    LEFT JOIN pair_counts pc ON pc.figure = c.figure
    LEFT JOIN pair_partner pp ON pp.audience = c.audience AND pp.figure = c.figure) x
  WHERE rank <= 5
)
SELECT audience, 'global', '', figure, n FROM base_top
UNION ALL
SELECT audience, 'global', '', figure, n FROM partner_top
UNION ALL
SELECT audience, 'global', '', figure, n FROM new_top
UNION ALL
SELECT audience, kind, key, figure, value FROM (
  SELECT kind, key, figure,
         SUM(value) FILTER (WHERE sensitivity = 'public') AS public,
         SUM(value) FILTER (WHERE sensitivity IN ('public', 'partners')) AS partners,
         SUM(value) AS administrators
  FROM tagged GROUP BY kind, key, figure
) s, LATERAL (VALUES ('public', s.public), ('partners', s.partners),
                     ('administrators', s.administrators)) a(audience, value)
WHERE value IS NOT NULL
UNION ALL
SELECT r.audience, t.kind, t.key, t.figure, SUM(t.value)
FROM tagged t JOIN readers r ON r.t = t.t AND r.rec = t.rec
WHERE t.sensitivity = 'restricted'
GROUP BY 1, 2, 3, 4
"""


def median_seconds(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def hand_written(start, end) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(HAND_WRITTEN, {"s": start, "e": end})
        return cursor.fetchall()


def stored(start) -> set[tuple]:
    rows = CooperationSummary.objects.filter(granularity="month", period_start=start)
    return {
        (row.audience, row.scope_kind, row.scope_key, figure, value)
        for row in rows
        for figure, value in row.metrics.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2024-03", help="The month to time, YYYY-MM.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--years", type=int, default=10, help="Years of monthly backfill.")
    parser.add_argument("--jobs", type=int, default=2, help="Backfill periods at once.")
    parser.add_argument("--no-backfill", action="store_true")
    options = parser.parse_args()

    operations = JointOperation.objects.count()
    print(f"database: {connection.settings_dict['NAME']}, {operations:,} operations")
    start = datetime.date.fromisoformat(options.month + "-01")
    end = period_bounds(start, "month")[1]

    # The first computation of a deployment finds no pair witnesses (summaries.models
    # .PairWitness): it looks for every pair's earlier operations itself.
    PairWitness.objects.all().delete()
    began = time.perf_counter()
    rows = compute("month", start).rows
    cold = time.perf_counter() - began
    ours = median_seconds(lambda: compute("month", start), options.runs)
    print(
        f"one month ({options.month}), every scope and audience: {ours:.2f} s, {rows:,} rows "
        f"(the first time, before any pair witness was kept: {cold:.2f} s)"
    )

    figures = hand_written(start, end)
    theirs = median_seconds(lambda: hand_written(start, end), options.runs)
    same = set(figures) == stored(start)
    print(
        f"hand-written SQL, same figures ({len(figures):,}; identical: {same}): "
        f"{theirs:.2f} s; ratio {ours / theirs:.2f} (goal <= 1.5)"
    )

    if options.no_backfill:
        return
    last = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    first = last.replace(year=last.year - options.years, day=1) + datetime.timedelta(days=32)
    first = first.replace(day=1)
    CooperationSummary.objects.filter(granularity="month").delete()
    PairWitness.objects.all().delete()  # a backfill from scratch
    with connection.cursor() as cursor:  # into a table without the deleted rows' remains
        cursor.execute(f"VACUUM {CooperationSummary._meta.db_table}, {PairWitness._meta.db_table}")
    began = time.perf_counter()
    call_command(
        "summaries",
        "--from",
        f"{first:%Y-%m}",
        "--to",
        f"{last:%Y-%m}",
        "--granularity",
        "month",
        "--jobs",
        str(options.jobs),
        "--no-progress",
    )
    seconds = time.perf_counter() - began
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    print(
        f"monthly backfill {first:%Y-%m} to {last:%Y-%m} ({months} months, {options.jobs} jobs): "
        f"{seconds:.0f} s, {seconds / months:.2f} s a month (goal: under 300 s)"
    )


if __name__ == "__main__":
    main()
