"""Benchmark: the REST API on a large database.

    DATABASE_URL=postgres://…/bench_dataset .venv/bin/python bench/api.py [--pull-limit N]

Needs a database filled by ``generate_dataset`` (``bench/generate_dataset.py --keep`` makes
one). Prints, for a page of 50 operations with three filters seen by an officer of
Colombia's government: the median and p95 server time (the whole Django request, in
process), the SQL queries, and the ratio to a hand-written psycopg query of the same page
encoded with orjson; then a cursor page deep in the set against the first page and against
offset paging at the same depth; then the rate of a full cursor pull.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
# Plain http in process: no redirect to https (production settings otherwise).
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# A benchmark client is not to be throttled.
os.environ.setdefault("API_THROTTLE_RATE", "1000000/min")

# Load the application as the server does (the WSGI module also freezes start-up objects out
# of the garbage collector); a call, not an import, so that it stays before the model imports.
importlib.import_module("cooperation.wsgi")

import orjson  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from cooperation.models import Affiliation, Partner, User  # noqa: E402
from cooperation.visibility import represented_partner_ids  # noqa: E402

FILTERS = {"country": "COL", "status": "completed", "started_after": "2015-01-01"}
PAGE = 50

BASELINE_SQL = """
WITH page AS (
    SELECT o.* FROM operations_jointoperation o
    WHERE o.status = 'completed' AND o.started_on >= '2015-01-01'
      AND EXISTS (SELECT 1 FROM operations_jointoperation_countries c
                  WHERE c.jointoperation_id = o.id AND c.country_id = 'COL')
      AND ((o.review_state = 'approved'
            AND (o.sensitivity IN ('public', 'partners')
                 OR EXISTS (SELECT 1 FROM operations_participation p
                            WHERE p.operation_id = o.id AND p.partner_id = ANY(%(partners)s))
                 OR EXISTS (SELECT 1 FROM operations_jointoperation_shared_with s
                            WHERE s.jointoperation_id = o.id
                              AND s.partner_id = ANY(%(partners)s))))
           OR o.author_partner_id = ANY(%(partners)s))
    ORDER BY o.id LIMIT %(limit)s
)
SELECT page.id, page.uuid, page.name, page.kind_id, k.name AS kind_label, page.status,
       page.started_on, page.ended_on, page.summary, page.sensitivity, page.arrests,
       page.labs_dismantled, page.hectares_eradicated, page.assets_seized_usd,
       page.created_at, page.updated_at,
       ARRAY(SELECT country_id FROM operations_jointoperation_countries
             WHERE jointoperation_id = page.id ORDER BY country_id) AS countries,
       ARRAY(SELECT technology_id FROM operations_jointoperation_technologies
             WHERE jointoperation_id = page.id ORDER BY technology_id) AS technologies,
       (SELECT COALESCE(json_agg(json_build_object(
                'id', p.id, 'partner', p.partner_id, 'partner_display', pa.name,
                'role', p.role, 'personnel', p.personnel, 'contribution', p.contribution)
                ORDER BY p.role, pa.name), '[]')
          FROM operations_participation p JOIN cooperation_partner pa ON pa.id = p.partner_id
         WHERE p.operation_id = page.id) AS participants,
       (SELECT COALESCE(json_agg(json_build_object(
                'id', s.id, 'substance', s.substance_id, 'substance_label', sub.name,
                'quantity', s.quantity, 'unit', s.unit, 'kg_equivalent', s.kg_equivalent,
                'seized_on', s.seized_on, 'country', s.country_id,
                'transport_mode', s.transport_mode, 'forensic_status', s.forensic_status)
                ORDER BY s.seized_on, s.id), '[]')
          FROM operations_seizure s JOIN operations_substance sub ON sub.code = s.substance_id
         WHERE s.operation_id = page.id) AS seizures,
       (SELECT COALESCE(json_agg(json_build_object(
                'id', l.id, 'agreement', l.agreement_id, 'article', l.article) ORDER BY l.id),
                '[]')
          FROM operations_legalbasis l WHERE l.operation_id = page.id) AS legal_basis
FROM page JOIN operations_operationkind k ON k.code = page.kind_id
ORDER BY page.id
"""


BASELINE_COUNT_SQL = """
SELECT count(*) FROM operations_jointoperation o
WHERE o.status = 'completed' AND o.started_on >= '2015-01-01'
  AND EXISTS (SELECT 1 FROM operations_jointoperation_countries c
              WHERE c.jointoperation_id = o.id AND c.country_id = 'COL')
  AND ((o.review_state = 'approved'
        AND (o.sensitivity IN ('public', 'partners')
             OR EXISTS (SELECT 1 FROM operations_participation p
                        WHERE p.operation_id = o.id AND p.partner_id = ANY(%(partners)s))
             OR EXISTS (SELECT 1 FROM operations_jointoperation_shared_with s
                        WHERE s.jointoperation_id = o.id AND s.partner_id = ANY(%(partners)s))))
       OR o.author_partner_id = ANY(%(partners)s))
"""


def officer() -> User:
    user, _ = User.objects.get_or_create(username="bench-officer")
    user.groups.add(Group.objects.get(name="officer"))
    colombia = Partner.objects.get(kind="government", country_id="COL")
    Affiliation.objects.get_or_create(user=user, partner=colombia)
    return user


def timed(function, runs: int) -> list[float]:
    function()  # warm caches and connections
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def timed_together(first, second, runs: int) -> tuple[list[float], list[float]]:
    """``first`` and ``second`` timed in turn, run after run: a ratio of their medians is not
    skewed by the machine getting slower or faster between two series."""
    a, b = [], []
    for _ in range(runs):
        a.extend(timed(first, 1))
        b.extend(timed(second, 1))
    return a, b


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def cursor_after(position: int) -> str:
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description="REST API benchmark")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pull-limit", type=int, default=0, help="stop the pull after N rows")
    args = parser.parse_args()

    user = officer()
    client = APIClient()
    client.force_authenticate(user)
    url = "/api/v1/operations/?" + urlencode({**FILTERS, "page_size": PAGE})

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return response

    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)
    ):
        body = page().json()

    partners = represented_partner_ids(user)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, {"partners": partners, "limit": PAGE})
            names = [c.name for c in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return orjson.dumps(rows, default=str)

    def baseline_with_count():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_COUNT_SQL, {"partners": partners})
            count = cursor.fetchone()[0]
        return count, baseline()

    api, hand_counted = timed_together(page, baseline_with_count, args.runs)
    cursor_url = "/api/v1/operations/?" + urlencode({**FILTERS, "page_size": PAGE, "cursor": ""})
    by_cursor, hand = timed_together(lambda: client.get(cursor_url), baseline, args.runs)
    print(f"Operations: {body['count']:,} match {FILTERS} for an officer of Colombia")
    print(f"Page of {PAGE} (page-number paging, with its count):")
    print(
        f"  API median {statistics.median(api):.1f} ms, p95 {p95(api):.1f} ms, "
        f"{len(queries)} SQL queries"
    )
    print(
        f"  hand-written psycopg + orjson median {statistics.median(hand):.1f} ms "
        "(1 query, no count)"
    )
    print(
        f"  hand-written with its count (2 queries) median {statistics.median(hand_counted):.1f} ms"
    )
    print(
        f"  ratio {statistics.median(api) / statistics.median(hand_counted):.2f} "
        f"(to the page without a count: {statistics.median(api) / statistics.median(hand):.2f})"
    )
    print("The same page by cursor (no count, as machine clients page):")
    print(
        f"  API median {statistics.median(by_cursor):.1f} ms, p95 {p95(by_cursor):.1f} ms, "
        f"ratio {statistics.median(by_cursor) / statistics.median(hand):.2f}"
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM operations_jointoperation ORDER BY id OFFSET 900000 LIMIT 1")
        deep_id = cursor.fetchone()[0]
    # Offset paging at the same depth in the rows this user sees (fewer than all of them).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM operations_jointoperation WHERE id <= %s", [deep_id])
        depth = int(cursor.fetchone()[0] * 0.8)
    first = timed(lambda: client.get("/api/v1/operations/", {"cursor": "", "page_size": PAGE}), 10)
    deep = timed(
        lambda: client.get(
            "/api/v1/operations/", {"cursor": cursor_after(deep_id), "page_size": PAGE}
        ),
        10,
    )
    offset = timed(
        lambda: client.get("/api/v1/operations/", {"page": depth // PAGE + 1, "page_size": PAGE}),
        3,
    )
    print("Deep pages, no filters:")
    print(f"  cursor, first page     median {statistics.median(first):.1f} ms")
    print(
        f"  cursor, after 900,000  median {statistics.median(deep):.1f} ms "
        f"({statistics.median(deep) / statistics.median(first):.2f}x the first)"
    )
    print(
        f"  offset, page 18,001    median {statistics.median(offset):.1f} ms "
        f"({statistics.median(offset) / statistics.median(deep):.1f}x the cursor)"
    )

    rows, started = 0, time.perf_counter()
    next_url = "/api/v1/operations/?" + urlencode({"cursor": "", "page_size": 1000})
    while next_url:
        response = client.get(next_url)
        page_body = orjson.loads(response.content)  # a client parsing with a fast decoder
        rows += len(page_body["results"])
        next_url = page_body["next"]
        if args.pull_limit and rows >= args.pull_limit:
            break
    elapsed = time.perf_counter() - started
    print(f"Cursor pull: {rows:,} operations in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s")


if __name__ == "__main__":
    main()
