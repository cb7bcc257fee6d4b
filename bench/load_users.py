"""The simulated users of the load run (a locustfile; ``bench/load.py`` runs it).

Four kinds of user, in proportion to their weights:

- **Officer** (API token of Colombia's officer): logs operations with participants and
  nested seizures, corrects them (PATCH), writes and corrects journal entries, adds seizures
  and agreements, reads back what it wrote.
- **ApiReader** (read-only token of the analyst): API lists with filters, cursor pages,
  details, statistics and summaries.
- **Visitor** (anonymous): portal pages and, now and then, the API (whose anonymous budget,
  shared by every visitor since all come from 127.0.0.1, may run out: 429).
- **Analyst** (signed in to the portal): list, detail, search and dashboard pages.

Every request is classed as ``read`` (API GET), ``write`` (API POST/PATCH) or ``page``
(HTML). Every acknowledged write (201 with its id, 200 to a PATCH) is recorded with the
values it wrote, for ``bench/load.py`` to look for in the database afterwards. A user only
ever changes rows it created itself, one request at a time, so the last value acknowledged
for a field is the one the database must hold.

The plan (tokens, ids to read, partners) comes from the JSON file named by ``LOAD_PLAN``;
what was measured and acknowledged goes to the file named in it as ``results``.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
SUBSTANCES = ["cocaine", "cocaine_base", "heroin", "cannabis_herb", "methamphetamine", "fentanyl"]
JOURNAL_KINDS = ["situation_report", "outcome_note", "lesson_learned"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

LATENCIES: dict[str, list[float]] = defaultdict(list)  # kind -> milliseconds (non-429)
STATUSES: Counter = Counter()  # (kind, status) -> requests; status 0: no response
FAILURES: list[str] = []  # the first unexpected answers, for the report
ACKS: list[dict] = []  # {"model", "id", "fields"}, in the order acknowledged
UNSURE: list[dict] = []  # writes answered neither yes nor no: {"model", "id", "field"}
TOKENS = {kind: itertools.cycle(PLAN[kind]) for kind in ("officer_tokens", "reader_tokens")}
SERIAL = itertools.count(1)
SPAN = [float("inf"), 0.0]  # the first request's start, the last answer's end (epoch s)


@events.request.add_listener
def record(request_type, name, response_time, response, context, start_time, **kwargs):
    SPAN[0] = min(SPAN[0], start_time)
    SPAN[1] = max(SPAN[1], start_time + response_time / 1000)
    kind = context.get("kind", "read")
    status = getattr(response, "status_code", 0) or 0
    STATUSES[(kind, status)] += 1
    if status != 429:
        LATENCIES[kind].append(response_time)


@events.quitting.add_listener
def save(environment, **kwargs):
    Path(PLAN["results"]).write_text(
        json.dumps(
            {
                "latencies": LATENCIES,
                "statuses": [[kind, status, n] for (kind, status), n in STATUSES.items()],
                "failures": FAILURES,
                "acks": ACKS,
                "unsure": UNSURE,
                "span": SPAN,
            }
        )
    )


class LoadUser(FastHttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    network_timeout = 60.0
    connection_timeout = 30.0
    token: str | None = None
    last_status = 0

    def call(self, kind: str, method: str, path: str, name: str, expect: int = 200, **kwargs):
        """Send one request; return the response when it is the expected answer, else None.

        A 429 (throttled) is counted apart and is not a failure; any other unexpected status
        is. The status stays in ``last_status``."""
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        with self.client.request(
            method,
            path,
            name=f"{kind} {name}",
            headers=headers,
            catch_response=True,
            context={"kind": kind},
            **kwargs,
        ) as response:
            status = self.last_status = response.status_code
            if status == expect:
                response.success()
                return response
            if status == 429:
                response.success()
                return None
            response.failure(f"{status}")
            if len(FAILURES) < 20:
                body = (response.text or "")[:300] if response.content else ""
                FAILURES.append(f"{method} {path} -> {status} {body}")
            return None

    def read(self, path: str, name: str):
        return self.call("read", "GET", path, name)

    def page(self, path: str, name: str):
        return self.call("page", "GET", path, name)


class Officer(LoadUser):
    """Writes through the API with a read-write token of Colombia's officer."""

    weight = 3

    def on_start(self):
        self.token = next(TOKENS["officer_tokens"])
        self.operations: list[tuple[int, datetime.date]] = []  # own: (id, started on)
        self.journal: list[int] = []  # own journal entries

    def acknowledge(self, model: str, pk: int, **fields) -> None:
        ACKS.append({"model": model, "id": pk, "fields": fields})

    def write(self, method: str, path: str, name: str, body: dict, expect: int):
        return self.call("write", method, path, name, expect=expect, json=body)

    def own_operation(self) -> tuple[int, datetime.date] | None:
        if not self.operations:
            self.create_operation()
        return random.choice(self.operations) if self.operations else None

    @task(3)
    def create_operation(self):
        started = datetime.date(2015, 1, 1) + datetime.timedelta(days=random.randrange(3650))
        seizures = [
            {
                "substance": random.choice(SUBSTANCES),
                "quantity": f"{random.randrange(1, 100_000) / 10:.1f}",
                "unit": "kg",
                "seized_on": (started + datetime.timedelta(days=day)).isoformat(),
            }
            for day in range(random.randint(1, 3))
        ]
        participants = [
            {"partner": PLAN["colombian_navy"], "role": "lead", "personnel": 120},
            {"partner": PLAN["peru"], "role": "partner"},
        ]
        body = {
            "name": f"Load operation {PLAN['run']}-{next(SERIAL)}",
            "kind": "maritime_interdiction",
            "status": "active",
            "started_on": started.isoformat(),
            "sensitivity": random.choice(["partners", "restricted"]),
            "countries": ["COL", "PER"],
            "participants": participants,
            "seizures": seizures,
        }
        response = self.write("POST", "/api/v1/operations/", "operation create", body, 201)
        if response is None:
            return
        created = response.json()
        self.operations.append((created["id"], started))
        self.acknowledge(
            "operation",
            created["id"],
            name=body["name"],
            sensitivity=body["sensitivity"],
            participants=sorted([p["partner"], p["role"]] for p in participants),
        )
        for sent, row in zip(seizures, created["seizures"], strict=True):
            self.acknowledge(
                "seizure",
                row["id"],
                operation=created["id"],
                substance=sent["substance"],
                quantity=sent["quantity"],
                unit=sent["unit"],
            )

    @task(3)
    def correct_operation(self):
        own = self.own_operation()
        if own is None:
            return
        pk = own[0]
        arrests = random.randrange(500)
        response = self.write(
            "PATCH", f"/api/v1/operations/{pk}/", "operation patch", {"arrests": arrests}, 200
        )
        self.settle("operation", pk, "arrests", arrests, response)

    @task(2)
    def write_journal_entry(self):
        own = self.own_operation()
        if own is None:
            return
        body = {
            "operation": own[0],
            "kind": random.choice(JOURNAL_KINDS),
            "title": f"Day {random.randrange(1, 60)} report {next(SERIAL)}",
            "body": "Two vessels boarded; crews detained and handed to the prosecutor.",
        }
        response = self.write("POST", "/api/v1/journal-entries/", "journal create", body, 201)
        if response is not None:
            pk = response.json()["id"]
            self.journal.append(pk)
            self.acknowledge("journal_entry", pk, **body)

    @task(1)
    def correct_journal_entry(self):
        if not self.journal:
            return self.write_journal_entry()
        pk = random.choice(self.journal)
        title = f"Corrected report {next(SERIAL)}"
        response = self.write(
            "PATCH", f"/api/v1/journal-entries/{pk}/", "journal patch", {"title": title}, 200
        )
        self.settle("journal_entry", pk, "title", title, response)

    @task(1)
    def add_seizure(self):
        own = self.own_operation()
        if own is None:
            return
        pk, started = own
        body = {
            "operation": pk,
            "substance": random.choice(SUBSTANCES),
            "quantity": f"{random.randrange(1, 5000) / 4:.2f}",
            "unit": "kg",
            "seized_on": (started + datetime.timedelta(days=5)).isoformat(),
            "country": "COL",
        }
        response = self.write("POST", "/api/v1/seizures/", "seizure create", body, 201)
        if response is not None:
            fields = {key: body[key] for key in ("operation", "substance", "quantity", "unit")}
            self.acknowledge("seizure", response.json()["id"], **fields)

    @task(1)
    def create_agreement(self):
        body = {
            "kind": "mou",
            "scope": "bilateral",
            "title": f"Load memorandum {PLAN['run']}-{next(SERIAL)}",
            "sensitivity": "partners",
            "signed_on": "2021-03-01",
            "areas": ["maritime_interdiction"],
            "parties": [
                {"partner": PLAN["colombia"], "role": "party", "signed_on": "2021-03-01"},
                {"partner": PLAN["peru"], "role": "party"},
            ],
        }
        response = self.write("POST", "/api/v1/agreements/", "agreement create", body, 201)
        if response is not None:
            self.acknowledge(
                "agreement",
                response.json()["id"],
                title=body["title"],
                parties=sorted([p["partner"], p["role"]] for p in body["parties"]),
            )

    @task(2)
    def read_back(self):
        own = self.own_operation()
        if own is not None:
            self.read(f"/api/v1/operations/{own[0]}/", "operation detail (own)")

    def settle(self, model: str, pk: int, field: str, value, response) -> None:
        """Record a PATCH: acknowledged; refused (a 4xx: nothing written); or unknown (a
        server error or no answer: it may or may not have been written)."""
        if response is not None:
            self.acknowledge(model, pk, **{field: value})
        elif not 400 <= self.last_status < 500:
            UNSURE.append({"model": model, "id": pk, "field": field})


READS = [
    ("/api/v1/operations/?country=COL&status=completed", "operations filtered"),
    ("/api/v1/operations/?started_after=2015-01-01&ordering=-started_on", "operations sorted"),
    ("/api/v1/operations/?cursor=&page_size=100", "operations cursor"),
    ("/api/v1/agreements/?status=in_force", "agreements filtered"),
    ("/api/v1/seizures/?substance=cocaine", "seizures filtered"),
    ("/api/v1/partners/?kind=agency", "partners filtered"),
    ("/api/v1/stats/seizures/?group_by=substance,country", "stats seizures"),
    ("/api/v1/stats/operations/?group_by=kind&period=year", "stats operations"),
    ("/api/v1/summaries/?granularity=year&scope_kind=global", "summaries"),
    ("/api/v1/journal-entries/?ordering=-occurred_at", "journal entries"),
]


def api_reads(user: LoadUser) -> None:
    """One list read, then one detail read."""
    path, name = random.choice(READS)
    user.read(path, name)
    resource, pk = random.choice(
        [("operations", pk) for pk in PLAN["operations"]]
        + [("agreements", pk) for pk in PLAN["agreements"]]
        + [("partners", pk) for pk in PLAN["partners"]]
    )
    user.read(f"/api/v1/{resource}/{pk}/", f"{resource} detail")


PAGES = [
    ("/", "dashboard"),
    ("/operations/", "operations"),
    ("/operations/?country=COL&status=completed&ordering=-started_on", "operations filtered"),
    ("/agreements/?status=in_force", "agreements filtered"),
    ("/partners/?kind=agency", "partners filtered"),
    ("/search/?q=cocaine", "search"),
    ("/search/?q=maritime+interdiction", "search"),
]


def portal_pages(user: LoadUser) -> None:
    """One list, search or dashboard page, then a detail page."""
    path, name = random.choice(PAGES)
    user.page(path, name)
    kind = random.choice(["operations", "agreements", "partners"])
    user.page(f"/{kind}/{random.choice(PLAN[kind])}/", f"{kind} detail")


class ApiReader(LoadUser):
    """Reads the API with a read-only token of the analyst."""

    weight = 3

    def on_start(self):
        self.token = next(TOKENS["reader_tokens"])

    @task
    def reads(self):
        api_reads(self)


class Visitor(LoadUser):
    """Anonymous: portal pages, and the API now and then."""

    weight = 2

    @task(3)
    def pages(self):
        portal_pages(self)

    @task(1)
    def api(self):
        api_reads(self)


class Analyst(LoadUser):
    """Signed in to the portal as the analyst."""

    weight = 2

    def on_start(self):
        response = self.page("/accounts/login/", "sign-in form")
        token = CSRF.search(response.text).group(1) if response is not None else ""
        username, password = PLAN["analyst"]
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        # Signed in: a redirect to the home page (a refused sign-in shows the form again).
        self.call(
            "page",
            "POST",
            "/accounts/login/",
            "sign in",
            expect=302,
            data=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
        )

    @task
    def pages(self):
        portal_pages(self)
