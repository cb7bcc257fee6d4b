"""Load run: mixed reads and writes against a live server for a bounded time, then a check
that every acknowledged write is in the database.

    make load                      # DURATION=60 USERS=… SPAWN_RATE=… WORKERS=… to change
    .venv/bin/python bench/load.py [--duration S] [--users N] [--spawn-rate R] [--workers W]

Needs locust (the ``bench`` extra: ``make load`` installs it). Runs against ``DATABASE_URL``
when set (migrated and given the demo data if it lacks them; the run's writes stay in it),
else against a ``bench_load`` database on the embedded PostgreSQL server, made anew from the
demo data each run. Starts gunicorn on a free loopback port with production settings (DEBUG
off, throttling at its configured rates) less TLS, and Celery as configured (eager without
``CELERY_BROKER_URL``; API writes queue no task). After a warm-up of its workers (not
counted), runs the users of ``bench/load_users.py`` headless for the duration: officers
writing through the API with tokens, token and anonymous API readers, portal visitors and a
signed-in analyst.

Prints the requests and their rate, p50/p95/p99 latency per kind of request (read: API GET;
write: API POST/PATCH; page: HTML), failures by status with throttling (429) apart, and the
writes acknowledged against those found in the database with the acknowledged content.
Exits non-zero on any failure other than throttling or any lost write. The server's and
locust's output are kept under ``bench/out/``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

from bench import live_server  # noqa: E402

# The highest load this 2-core machine sustained with no failure (bench/README.md).
USERS = 50
SPAWN_RATE = 5
WORKERS = 4
KINDS = ("read", "write", "page")
ANSWERED = {200, 201, 302}  # what the users expect; 429 is counted apart


def plan(run: str, users: int, results: Path) -> dict:
    """Tokens for every simulated user, and rows anyone may read."""
    from django.contrib.auth.models import AnonymousUser

    from agreements.models import Agreement
    from cooperation.demo_loader import demo_password
    from cooperation.models import ApiToken, Partner, User
    from operations.models import JointOperation

    officer = User.objects.get(username="officer")
    analyst = User.objects.get(username="analyst")
    anyone = AnonymousUser()

    def ids(queryset) -> list[int]:
        return list(queryset.order_by("pk").values_list("pk", flat=True)[:60])

    def government(country: str) -> int:
        return Partner.objects.get(kind="government", country_id=country).pk

    return {
        "run": run,
        "results": str(results),
        "officer_tokens": [
            ApiToken.issue(officer, name=f"load {run} officer {n}")[1] for n in range(users)
        ],
        "reader_tokens": [
            ApiToken.issue(analyst, name=f"load {run} reader {n}", read_only=True)[1]
            for n in range(users)
        ],
        "analyst": ["analyst", demo_password("analyst")],
        "operations": ids(JointOperation.objects.visible_to(anyone)),
        "agreements": ids(Agreement.objects.visible_to(anyone)),
        "partners": ids(Partner.objects.all()),
        "colombia": government("COL"),
        "peru": government("PER"),
        "colombian_navy": Partner.objects.get(name="Colombian Navy").pk,
    }


def database_rows(model: str, pks: list[int]) -> dict[int, dict]:
    """What the database holds of the acknowledged rows, in the form the writes had."""
    from agreements.models import Agreement, AgreementParty
    from operations.models import JointOperation, JournalEntry, Participation, Seizure

    def pairs(rows) -> dict[int, list]:
        grouped = defaultdict(list)
        for parent, partner, role in rows:
            grouped[parent].append([partner, role])
        return {parent: sorted(items) for parent, items in grouped.items()}

    if model == "operation":
        rows = JointOperation.objects.filter(pk__in=pks).values(
            "id", "name", "sensitivity", "arrests"
        )
        participants = pairs(
            Participation.objects.filter(operation_id__in=pks).values_list(
                "operation_id", "partner_id", "role"
            )
        )
        return {row["id"]: {**row, "participants": participants.get(row["id"], [])} for row in rows}
    if model == "seizure":
        rows = Seizure.objects.filter(pk__in=pks).values(
            "id", "operation_id", "substance_id", "quantity", "unit"
        )
        return {
            row["id"]: {
                "operation": row["operation_id"],
                "substance": row["substance_id"],
                "quantity": row["quantity"],
                "unit": row["unit"],
            }
            for row in rows
        }
    if model == "journal_entry":
        rows = JournalEntry.objects.filter(pk__in=pks).values(
            "id", "operation_id", "kind", "title", "body"
        )
        return {row["id"]: {**row, "operation": row["operation_id"]} for row in rows}
    if model == "agreement":
        rows = Agreement.objects.filter(pk__in=pks).values("id", "title")
        parties = pairs(
            AgreementParty.objects.filter(agreement_id__in=pks).values_list(
                "agreement_id", "partner_id", "role"
            )
        )
        return {row["id"]: {**row, "parties": parties.get(row["id"], [])} for row in rows}
    raise ValueError(model)


def same(field: str, written, held) -> bool:
    if field == "quantity":
        return Decimal(str(written)) == held
    return written == held


def verify(acks: list[dict], unsure: list[dict]) -> tuple[int, list[str]]:
    """Count the acknowledged writes found in the database with what they wrote; describe
    the others. A field later written again is compared with its last acknowledged value."""
    expected: dict[tuple[str, int], dict] = defaultdict(dict)
    for ack in acks:
        expected[(ack["model"], ack["id"])].update(ack["fields"])
    for item in unsure:
        expected.get((item["model"], item["id"]), {}).pop(item["field"], None)
    by_model = defaultdict(list)
    for model, pk in expected:
        by_model[model].append(pk)
    held = {}
    for model, pks in by_model.items():
        for pk, row in database_rows(model, pks).items():
            held[(model, pk)] = row
    wrong: dict[tuple[str, int], set[str]] = {}
    for key, fields in expected.items():
        row = held.get(key)
        if row is None:
            wrong[key] = {"(row)"}
            continue
        bad = {field for field, value in fields.items() if not same(field, value, row[field])}
        if bad:
            wrong[key] = bad
    found, lost = 0, []
    for ack in acks:
        key = (ack["model"], ack["id"])
        bad = wrong.get(key, set())
        if "(row)" in bad or bad & set(ack["fields"]):
            lost.append(f"{ack['model']} {ack['id']}: {sorted(bad)} (wrote {ack['fields']})")
        else:
            found += 1
    return found, lost


def percentile(samples: list[float], p: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("DURATION") or 60))
    parser.add_argument("--users", type=int, default=int(os.environ.get("USERS") or USERS))
    parser.add_argument(
        "--spawn-rate", type=float, default=float(os.environ.get("SPAWN_RATE") or SPAWN_RATE)
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or WORKERS))
    args = parser.parse_args()
    locust = Path(sys.executable).with_name("locust")
    if not locust.exists():
        sys.exit("locust is not installed: `make load` installs it (uv sync --extra bench).")

    url, scratch = live_server.django_on("bench_load")
    from django.db import connection

    from cooperation.models import ApiToken
    from operations.models import JointOperation

    run = time.strftime("%Y%m%d-%H%M%S")
    live_server.OUT.mkdir(parents=True, exist_ok=True)
    results = live_server.OUT / "load-results.json"
    results.unlink(missing_ok=True)
    plan_file = live_server.OUT / "load-plan.json"
    plan_file.write_text(json.dumps(plan(run, args.users, results)))
    operations_before = JointOperation.objects.count()
    version = connection.cursor().connection.info.server_version
    connection.close()

    broker = "a broker" if os.environ.get("CELERY_BROKER_URL") else "eager"
    print(
        f"Load run: {args.duration} s, {args.users} users (spawned {args.spawn_rate:g}/s), "
        f"gunicorn {args.workers} sync workers, DEBUG off, Celery {broker}; "
        f"PostgreSQL {version // 10000}.{version % 10000} "
        f"({'bench_load, made anew' if scratch else 'DATABASE_URL'}), "
        f"{operations_before:,} operations at the start",
        flush=True,
    )
    locust_log = live_server.OUT / "load-locust.log"
    with (
        live_server.gunicorn(
            url, workers=args.workers, log=live_server.OUT / "load-server.log"
        ) as server,
        locust_log.open("w") as output,
    ):
        warm_up(server, json.loads(plan_file.read_text()), args.workers)
        server_cpu, machine = server.cpu_seconds(), psutil.cpu_times()
        finished = subprocess.run(
            [
                str(locust),
                "--locustfile",
                str(ROOT / "bench" / "load_users.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{args.duration}s",
                "--stop-timeout",
                "30",
                "--host",
                server.url,
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**os.environ, "LOAD_PLAN": str(plan_file)},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
        server_cpu = server.cpu_seconds() - server_cpu
        busy = busy_share(machine, psutil.cpu_times())
    if not results.exists():
        sys.exit(f"locust ended without results (exit {finished.returncode}); see {locust_log}")
    outcome = json.loads(results.read_text())
    found, lost = verify(outcome["acks"], outcome["unsure"])
    ApiToken.objects.filter(name__startswith=f"load {run} ").delete()
    report(outcome, found, lost, server_cpu, busy)
    failures = sum(n for _, status, n in outcome["statuses"] if status not in {*ANSWERED, 429})
    if failures or lost or not outcome["acks"]:
        sys.exit(1)


# Warm-up: what each worker does once before its first request is quick (templates
# compiled, first queries planned); the figures are those of a server already running.
WARM_UP = [
    "/",
    "/operations/",
    "/operations/?country=COL&status=completed",
    "/agreements/",
    "/partners/",
    "/search/?q=cocaine",
    "/accounts/login/",
    "/api/v1/operations/?country=COL",
    "/api/v1/agreements/",
    "/api/v1/seizures/",
    "/api/v1/stats/seizures/?group_by=substance",
    "/api/v1/summaries/?granularity=year&scope_kind=global",
]


def warm_up(server: live_server.Server, plan: dict, workers: int) -> None:
    """Request each warm-up page and a detail of each kind, ``workers`` at a time, a few
    rounds over (the API with a reader's token, so that no anonymous budget is spent)."""
    details = [f"/{kind}/{plan[kind][0]}/" for kind in ("operations", "agreements", "partners")]
    paths = WARM_UP + details + [f"/api/v1{path}" for path in details]
    address = urlsplit(server.url)
    token = plan["reader_tokens"][0]

    def get(path: str) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        headers = {"Authorization": f"Token {token}"} if path.startswith("/api/") else {}
        try:
            connection.request("GET", path, headers=headers)
            connection.getresponse().read()
        finally:
            connection.close()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(get, paths * workers * 2))


def busy_share(before, after) -> float:
    """The share of the machine's CPU time that was not idle between two readings."""
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    total = sum(after) - sum(before)
    return 1 - idle / total if total else 0.0


def report(outcome: dict, found: int, lost: list[str], server_cpu: float, busy: float) -> None:
    statuses = Counter()
    per_kind = Counter()
    throttled = Counter()
    for kind, status, n in outcome["statuses"]:
        statuses[status] += n
        per_kind[kind] += n
        if status == 429:
            throttled[kind] += n
    first, last = outcome["span"]
    elapsed = max(last - first, 1e-9)
    total = sum(per_kind.values())
    print(f"requests: {total:,} in {elapsed:.1f} s = {total / elapsed:.1f}/s")
    print(f"{'kind':<6} {'requests':>9} {'per s':>7} {'p50':>8} {'p95':>8} {'p99':>8}")
    for kind in KINDS:
        samples = outcome["latencies"].get(kind, [])
        p50, p95, p99 = (percentile(samples, p) for p in (50, 95, 99))
        print(
            f"{kind:<6} {per_kind[kind]:>9,} {per_kind[kind] / elapsed:>7.1f} "
            f"{p50:>6.0f}ms {p95:>6.0f}ms {p99:>6.0f}ms"
        )
    print("  (latency: the whole request seen by the client, 429s left out)")
    print(
        f"server CPU: {server_cpu:.1f} s in the gunicorn workers, "
        f"{server_cpu / max(total, 1) * 1000:.1f} ms a request (PostgreSQL apart); "
        f"the machine was {busy:.0%} busy ({psutil.cpu_count()} cores, everything on it)"
    )
    by_kind = ", ".join(f"{kind} {throttled[kind]:,}" for kind in KINDS if throttled[kind])
    print(f"throttled (429): {statuses[429]:,}" + (f" ({by_kind})" if by_kind else ""))
    failed = {s: n for s, n in statuses.items() if s not in {*ANSWERED, 429}}
    if failed:
        listed = ", ".join(
            f"{'no answer' if status == 0 else status}: {n:,}"
            for status, n in sorted(failed.items())
        )
        print(f"FAILURES by status: {listed}")
        for line in outcome["failures"]:
            print(f"  {line}")
    else:
        print("failures (other than throttling): 0")
    acknowledged = len(outcome["acks"])
    print(
        f"writes acknowledged: {acknowledged:,}; found in the database with the acknowledged "
        f"content: {found:,}"
        + (f"; unsure (no answer): {len(outcome['unsure'])}" if outcome["unsure"] else "")
    )
    if lost:
        print(f"LOST WRITES: {len(lost):,}")
        for line in lost[:20]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
