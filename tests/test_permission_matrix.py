"""The permission matrix: every URL the project routes × every kind of user × records of every
sensitivity and review state (``tests/matrix_world.py``), asserting what each may see or do
against the brief's rule written there, apart from ``cooperation.visibility``.

Every planted row carries a marker string; a response may carry only the markers of rows its
reader may see. A row a reader may not see must not change any response: its 404 is byte for
byte the 404 of an id that never existed, a search or filter naming it answers as for one that
never existed, and adding a hidden 1,000 kg seizure leaves every page, list, count, statistic
and summary they read byte-identical. ``test_every_routed_url_is_in_the_matrix`` walks the URL
resolver: a URL added without a line here fails it.

The world is built once for the module, inside a transaction rolled back at the end; each test
runs in a savepoint of it.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.admin.sites import site as admin_site
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from operations.models import JointOperation, Seizure
from summaries.compute import compute
from tests import factories
from tests.matrix_world import (
    DAY,
    HOSTILE,
    MARKER,
    NEVER,
    NEVER_UUID,
    PERSONAS,
    Audience,
    Persona,
    World,
    build_world,
    plant_operation,
)

pytestmark = pytest.mark.django_db

CASES = {"count": 0}  # checks made, reported at the end of the run (tests/conftest.py)


# -- the world, once -------------------------------------------------------------------------
def compute_summaries() -> None:
    for granularity in ("month", "quarter", "year"):
        compute(granularity, DAY.replace(day=1) if granularity == "month" else start(granularity))


def start(granularity: str):
    if granularity == "quarter":
        return DAY.replace(month=4, day=1)
    return DAY.replace(month=1, day=1)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
            compute_summaries()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


# -- requests --------------------------------------------------------------------------------
def client_for(world: World, persona: Persona, channel: str) -> Client:
    if channel == "api" and persona.token is not None:
        return Client(HTTP_AUTHORIZATION=f"Token {world.keys[persona.token]}")
    client = Client()
    if persona.session is not None:
        client.force_login(world.users[persona.session])
    return client


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


RUN_TIMES = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z?")


def without_run_times(body: bytes) -> bytes:
    """A body with clock times of today blanked: the summaries' ``computed_at`` and
    ``data_cutoff``, which every run stamps on every row of a period whatever changed. (The
    world's own dates are all in 2019 and 2020.)"""
    today = datetime.date.today().isoformat().encode()
    return RUN_TIMES.sub(lambda m: b"-" if m.group().startswith(today) else m.group(), body)


CSRF = re.compile(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def normal(body: bytes) -> bytes:
    """A body with what differs between any two requests (CSRF tokens) blanked."""
    return CSRF.sub(rb"\1-", body)


def location(response) -> str:
    return response.get("Location", "")


@dataclass
class Reply:
    status: int
    body: bytes
    location: str
    content_type: str = ""

    def same_as(self, other: Reply, swap: tuple[str, str] | None = None, swaps=()) -> bool:
        """The same answer as ``other``, once the text that names what was asked for (a URL,
        a query) is swapped for the other's."""
        body, where = self.body, self.location
        pairs = [*swaps, swap] if swap else list(swaps)
        pairs += [(quote(old, safe=""), quote(new, safe="")) for old, new in pairs]
        for old, new in pairs:
            body = body.replace(old.encode(), new.encode())
            where = where.replace(old, new)
        return (self.status, normal(body), where) == (
            other.status,
            normal(other.body),
            other.location,
        )


class Matrix:
    """Requests as each persona, and the checks every route shares."""

    def __init__(self, world: World):
        self.world = world
        self.clients: dict[tuple[str, str], Client] = {}
        self.failures: list[str] = []

    def client(self, persona: Persona, channel: str) -> Client:
        key = (persona.name, channel)
        if key not in self.clients:
            self.clients[key] = client_for(self.world, persona, channel)
        return self.clients[key]

    def request(self, persona, channel, url, method="get", data=None, **headers) -> Reply:
        client = self.client(persona, channel)
        if method == "get":
            response = client.get(url, data or {}, headers=headers)
        elif channel == "api" and method != "post-form":
            response = getattr(client, method)(
                url, data or {}, content_type="application/json", headers=headers
            )
        else:
            response = client.post(url, data or {}, headers=headers)
        reply = Reply(
            response.status_code,
            body_of(response),
            location(response),
            response.get("Content-Type", ""),
        )
        for problem in unsafe(reply):
            self.expect(False, f"{method} {url} as {persona.name}: {problem}")
        return reply

    def expect(self, condition: bool, message: str) -> None:
        CASES["count"] += 1
        if not condition:
            self.failures.append(message)

    def done(self) -> None:
        assert not self.failures, f"{len(self.failures)} failures:\n" + "\n".join(
            self.failures[:40]
        )

    # -- the checks ------------------------------------------------------------------------
    def leaks(self, reply: Reply, persona: Persona, channel: str) -> set[bytes]:
        found = set(MARKER.findall(reply.body)) & self.world.all_markers()
        return found - self.world.visible_markers(persona, channel)

    def status_for(self, persona: Persona, channel: str, who: str) -> int:
        """What a GET of a page or endpoint open to ``who`` answers ``persona``."""
        if channel == "api":
            if persona.api_refused():
                return 401
            signed_in = persona.user_key("api") is not None
            if who == "anyone":
                return 200
            if not signed_in:
                return 401
            return 200
        acts_for = persona.acts_for("portal")
        if who == "anyone":
            return 200
        if acts_for is None:
            return 302
        if who == "officers" and persona.session == "analyst":
            return 403
        if who == "administrators" and persona.session != "administrator":
            return 403
        return 200

    def listing(self, url: str, channel: str, who: str = "anyone", complete: tuple = ()) -> None:
        """``url`` as each persona: the status ``who`` implies, no marker of a hidden row,
        and (``complete``: kinds of rows) every marker of a visible row of those kinds."""
        for persona in PERSONAS:
            reply = self.request(persona, channel, url)
            expected = self.status_for(persona, channel, who)
            self.expect(
                reply.status == expected,
                f"{url} as {persona.name}: {reply.status}, expected {expected}",
            )
            leaked = self.leaks(reply, persona, channel)
            self.expect(not leaked, f"{url} as {persona.name} shows hidden {sorted(leaked)}")
            if reply.status == 200 and complete:
                wanted = {
                    m.encode()
                    for kind in complete
                    for p in self.world.rows(kind)
                    if p.seen_by(persona, channel)
                    for m in p.markers
                }
                missing = wanted - set(MARKER.findall(reply.body))
                self.expect(not missing, f"{url} as {persona.name} misses {sorted(missing)[:5]}")

    def rows_one_by_one(
        self,
        kinds: tuple[str, ...],
        url_of: Callable,
        channel: str,
        who: str = "anyone",
        key: Callable = lambda row: row.pk,
        never=NEVER,
        shows_marker: bool = True,
    ) -> None:
        """Each planted row of ``kinds`` at ``url_of(key(row))``: a reader who may see it gets
        it (with its marker); any other gets exactly the answer for a key that never existed."""
        for persona in PERSONAS:
            never_url = url_of(never)
            absent = self.request(persona, channel, never_url)
            for planted in (p for kind in kinds for p in self.world.rows(kind)):
                url = url_of(key(planted.row))
                reply = self.request(persona, channel, url)
                leaked = self.leaks(reply, persona, channel)
                self.expect(not leaked, f"{url} as {persona.name} shows hidden {sorted(leaked)}")
                opened = self.status_for(persona, channel, who)
                if opened == 200 and planted.seen_by(persona, channel):
                    self.expect(reply.status == 200, f"{url} as {persona.name}: {reply.status}")
                    if shows_marker:
                        self.expect(
                            planted.markers[0].encode() in reply.body,
                            f"{url} as {persona.name} lacks {planted.markers[0]}",
                        )
                else:
                    self.expect(
                        reply.same_as(absent, swap=(url, never_url)),
                        f"{url} as {persona.name}: {reply.status} differs from a row that "
                        f"never existed ({absent.status})",
                    )

    def hidden_writes(
        self,
        kinds: tuple[str, ...],
        url_of: Callable,
        channel: str,
        method: str,
        data: Callable | dict | None = None,
        key: Callable = lambda row: row.pk,
        never=NEVER,
    ) -> None:
        """An unsafe request on a row the persona may not see: answered exactly as for a key
        that never existed, refused, and nothing written."""
        for persona in PERSONAS:
            never_url = url_of(never)
            for planted in (p for kind in kinds for p in self.world.rows(kind)):
                if planted.seen_by(persona, channel):
                    continue
                payload = data(self.world, planted) if callable(data) else data
                before = fingerprint()
                absent = self.request(persona, channel, never_url, method, payload)
                url = url_of(key(planted.row))
                reply = self.request(persona, channel, url, method, payload)
                self.expect(
                    reply.status in (302, 400, 401, 403, 404, 405),
                    f"{method} {url} as {persona.name}: {reply.status}",
                )
                if reply.status == 302:
                    self.expect(
                        "/login/" in reply.location,
                        f"{method} {url} as {persona.name} went to {reply.location}",
                    )
                self.expect(
                    reply.same_as(absent, swap=(url, never_url)),
                    f"{method} {url} as {persona.name}: {reply.status} differs from a row that "
                    f"never existed ({absent.status})",
                )
                self.expect(fingerprint() == before, f"{method} {url} as {persona.name} wrote")

    def refused_on_visible(self, kinds: tuple[str, ...], name: str) -> None:
        """Every unsafe method on a row everyone sees, by those who may not write: the
        read-only token and the analyst 403, the rest 401; nothing written."""
        planted = next(
            p for kind in kinds for p in self.world.rows(kind) if p.seen_by(PERSONAS[-1], "api")
        )
        attempts = [
            ("post", api(f"{name}/")),
            ("put", api(f"{name}/{planted.row.pk}/")),
            ("patch", api(f"{name}/{planted.row.pk}/")),
            ("delete", api(f"{name}/{planted.row.pk}/")),
        ]
        for persona in PERSONAS:
            if persona.token == "read-only" or persona.session == "analyst":
                expected = 403
            elif persona.user_key("api") is None:
                expected = 401
            else:
                continue  # officers and administrators write: the functional tests' business
            for method, url in attempts:
                before = fingerprint()
                reply = self.request(persona, "api", url, method, {})
                self.expect(
                    reply.status == expected,
                    f"{method} {url} as {persona.name}: {reply.status}, expected {expected}",
                )
                self.expect(fingerprint() == before, f"{method} {url} as {persona.name} wrote")

    def searches(
        self, url: str, channel: str, parameter: str = "q", kinds=("operation", "agreement")
    ):
        """``url?parameter=<marker>`` for the marker of every row of ``kinds``: a hidden
        row's search answers as a search for a marker no row has."""
        for persona in distinct(channel):
            nothing = self.request(persona, channel, url, data={parameter: "ZQX9999"})
            for planted in (p for kind in kinds for p in self.world.rows(kind)):
                marker = planted.markers[0]
                reply = self.request(persona, channel, url, data={parameter: marker})
                leaked = self.leaks(reply, persona, channel) - {marker.encode()}
                self.expect(not leaked, f"{url}?{parameter}={marker} as {persona.name}: {leaked}")
                if not planted.seen_by(persona, channel):
                    self.expect(
                        reply.same_as(nothing, swap=(marker, "ZQX9999")),
                        f"{url}?{parameter}={marker} as {persona.name} differs from no match",
                    )

    def filters(self, url: str, channel: str, names: dict[str, str]) -> None:
        """``url?name=<id>`` for each id filter naming a record (``names``: filter → kind):
        a hidden record's id answers as an id that never existed."""
        for persona in distinct(channel):
            for name, kind in names.items():
                nothing = self.request(persona, channel, url, data={name: NEVER})
                for planted in self.world.rows(kind):
                    if planted.seen_by(persona, channel):
                        continue
                    reply = self.request(persona, channel, url, data={name: planted.row.pk})
                    pk = planted.row.pk
                    swaps = [
                        (f"{name}={pk}", f"{name}={NEVER}"),
                        (f'name="{name}" value="{pk}"', f'name="{name}" value="{NEVER}"'),
                    ]
                    self.expect(
                        reply.same_as(nothing, swaps=swaps),
                        f"{url}?{name}={planted.row.pk} as {persona.name} differs from no match",
                    )


def distinct(channel: str) -> list[Persona]:
    """One persona per way a request is answered on ``channel``: the searches and filters,
    each several hundred requests, are not repeated for personas the channel cannot tell
    apart (on the portal a token is no sign-in; a refused token is refused alike)."""
    seen, kept = set(), []
    for persona in PERSONAS:
        acts_for = persona.acts_for(channel)
        key = (
            channel == "api" and persona.api_refused(),
            acts_for if acts_for is None or isinstance(acts_for, str) else tuple(sorted(acts_for)),
            persona.user_key(channel),
        )
        if key not in seen:
            seen.add(key)
            kept.append(persona)
    return kept


def unsafe(reply: Reply) -> list[str]:
    """What the planted hostile text did in ``reply``: a page that shows it unescaped, an
    export with a cell a spreadsheet would run as a formula."""
    problems = []
    if reply.content_type.startswith("text/html") and HOSTILE.encode() in reply.body:
        problems.append("a record's text is not escaped")
    if reply.content_type.startswith("text/csv"):
        for row in csv.reader(io.StringIO(reply.body.decode("utf-8-sig"))):
            for cell in row:
                if cell.startswith(("=", "+", "@", "\t", "\r")) or (
                    cell.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", cell)
                ):
                    problems.append(f"a formula in an export: {cell[:40]!r}")
    return problems


def fingerprint() -> tuple:
    """The newest history event of every tracked table and the row counts of the records:
    any write to them moves it."""
    event_models = [m for m in apps.get_models() if getattr(m, "pgh_tracked_model", None)]
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"(SELECT {i}, coalesce(max(pgh_id), 0) FROM {m._meta.db_table})"
                for i, m in enumerate(event_models)
            )
        )
        events = cursor.fetchall()
    return (
        tuple(events),
        JointOperation.objects.count(),
        Seizure.objects.count(),
    )


# -- the table -------------------------------------------------------------------------------
OPERATION_ROWS = {
    "participations": "participation",
    "seizures": "seizure",
    "legal-bases": "legal-basis",
    "impact-reports": "impact-report",
    "journal-entries": "journal-entry",
}
RECORD_FILTERS = {
    "agreements": {"amends": "agreement", "supersedes": "agreement"},
    "agreement-parties": {"agreement": "agreement"},
    "operations": {"agreement": "agreement"},
    "participations": {"operation": "operation"},
    "seizures": {"operation": "operation"},
    "legal-bases": {"operation": "operation", "agreement": "agreement"},
    "impact-reports": {"operation": "operation"},
    "journal-entries": {"operation": "operation"},
}
API_KINDS = {
    "agreements": ("agreement",),
    "agreement-parties": ("agreement-party",),
    "operations": ("operation",),
    **{name: (kind,) for name, kind in OPERATION_ROWS.items()},
}
VOCABULARIES = {
    "regions": "419",
    "countries": "COL",
    "cooperation-areas": "maritime_interdiction",
    "operation-kinds": "maritime_interdiction",
    "technologies": "",
    "substance-groups": "",
    "substances": "cocaine",
}


def api(path: str) -> str:
    return f"/api/v1/{path}"


def check_api_records(m: Matrix, name: str) -> None:
    kinds = API_KINDS[name]
    m.listing(api(f"{name}/?page_size=500"), "api", complete=kinds)
    m.listing(api(f"{name}.json?page_size=500"), "api")
    m.listing(api(f"{name}/?format=csv"), "api")
    m.listing(api(f"{name}/?format=ndjson"), "api")
    m.rows_one_by_one(kinds, lambda pk: api(f"{name}/{pk}/"), "api")
    m.rows_one_by_one(kinds, lambda pk: api(f"{name}/{pk}.json"), "api")
    m.hidden_writes(kinds, lambda pk: api(f"{name}/{pk}/"), "api", "patch", {"notes": "x"})
    m.hidden_writes(kinds, lambda pk: api(f"{name}/{pk}/"), "api", "delete")
    m.refused_on_visible(kinds, name)
    if name in RECORD_FILTERS:
        m.filters(api(f"{name}/"), "api", RECORD_FILTERS[name])
    if name in ("agreements", "operations"):
        m.searches(api(f"{name}/"), "api")
        m.rows_one_by_one(kinds, lambda pk: api(f"{name}/{pk}/history/"), "api")
        m.rows_one_by_one(kinds, lambda pk: api(f"{name}/{pk}/history.json"), "api")
        for action in ("review", "revert"):
            m.hidden_writes(
                kinds, lambda pk, a=action: api(f"{name}/{pk}/{a}/"), "api", "post",
                {"move": "approve", "event": "x", "field": "name"},
            )  # fmt: skip
            m.hidden_writes(
                kinds, lambda pk, a=action: api(f"{name}/{pk}/{a}.json"), "api", "post",
                {"move": "approve"},
            )  # fmt: skip


def check_portal_records(m: Matrix, name: str) -> None:
    kind = {"agreements": "agreement", "operations": "operation"}[name]
    m.listing(f"/{name}/", "portal", complete=(kind,))
    m.listing(f"/{name}/?export=csv", "portal")
    m.listing(f"/{name}/?q=Summary", "portal")
    m.searches(f"/{name}/", "portal")
    m.filters(f"/{name}/", "portal", RECORD_FILTERS.get(name, {}))
    m.rows_one_by_one((kind,), lambda pk: f"/{name}/{pk}/", "portal")
    for action in ("review", "history/revert"):
        m.hidden_writes(
            (kind,), lambda pk, a=action: f"/{name}/{pk}/{a}/", "portal", "post-form",
            {"move": "approve", "event": "x", "field": "name", "reason": "r"},
        )  # fmt: skip


def check_operation_forms(m: Matrix) -> None:
    m.listing("/operations/new/", "portal", who="officers")
    pages = ("edit", "journal/new", "impact/new")
    for page in pages:
        m.rows_one_by_one(
            ("operation",), lambda pk, p=page: f"/operations/{pk}/{p}/", "portal",
            who="officers", shows_marker=page == "edit",
        )  # fmt: skip
        m.hidden_writes(
            ("operation",), lambda pk, p=page: f"/operations/{pk}/{p}/", "portal", "post-form",
            {"name": "Renamed", "title": "t", "body": "b", "description": "d"},
        )  # fmt: skip


def check_imports(m: Matrix) -> None:
    m.listing("/imports/", "portal", who="officers", complete=("import",))
    for suffix in ("csv", "xlsx"):
        m.listing(f"/imports/templates/operations.{suffix}", "portal", who="signed-in")
    job_key = {"key": lambda job: job.uuid, "never": NEVER_UUID}
    m.rows_one_by_one(("import",), lambda key: f"/imports/{key}/", "portal", **job_key)
    m.rows_one_by_one(("import",), lambda key: f"/imports/{key}/problems.csv", "portal", **job_key)
    m.hidden_writes(
        ("import",), lambda key: f"/imports/{key}/confirm/", "portal", "post-form", **job_key
    )
    m.listing(api("imports/"), "api", who="signed-in", complete=("import",))
    m.listing(api("imports.json"), "api", who="signed-in")
    m.rows_one_by_one(("import",), lambda key: api(f"imports/{key}/"), "api", **job_key)
    m.rows_one_by_one(("import",), lambda key: api(f"imports/{key}.json"), "api", **job_key)
    for path in ("confirm/", "confirm.json"):
        m.hidden_writes(
            ("import",), lambda key, p=path: api(f"imports/{key}/{p}"), "api", "post", **job_key
        )


def check_deleted(m: Matrix) -> None:
    m.listing(api("deleted/?page_size=500"), "api")
    m.listing(api("deleted.json"), "api")
    seen = {}
    for persona in PERSONAS:
        reply = m.request(persona, "api", api("deleted/?resource=operations&page_size=500"))
        if reply.status != 200:
            continue
        listed = {row["id"] for row in json.loads(reply.body)["results"]}
        planted = {p.row.pk: p for p in m.world.rows("deleted")}
        expected = {pk for pk, p in planted.items() if p.seen_by(persona, "api")}
        m.expect(listed & set(planted) == expected, f"tombstones as {persona.name}: {listed}")
        seen[persona.name] = listed
    m.rows_one_by_one(("deleted",), lambda pk: api(f"deleted/{pk}/"), "api", shows_marker=False)
    m.rows_one_by_one(("deleted",), lambda pk: api(f"deleted/{pk}.json"), "api", shows_marker=False)
    m.rows_one_by_one(("deleted",), lambda pk: api(f"deleted/{pk}/history/"), "api")
    m.rows_one_by_one(("deleted",), lambda pk: api(f"deleted/{pk}/history.json"), "api")


def check_partners(m: Matrix, channel: str) -> None:
    if channel == "portal":
        m.listing("/partners/", "portal")
        for partner in m.world.partners.values():
            m.listing(f"/partners/{partner.pk}/", "portal")
        return
    m.listing(api("partners/?page_size=500"), "api")
    m.listing(api("partners.json"), "api")
    for partner in m.world.partners.values():
        for path in ("/", ".json", "/history/", "/history.json"):
            m.listing(api(f"partners/{partner.pk}{path}"), "api")


def check_places(m: Matrix) -> None:
    m.listing("/countries/", "portal")
    for code in ("CHL", "COL", "PER"):
        m.listing(f"/countries/{code}/", "portal")
    for code in ("419", "005"):
        m.listing(f"/regions/{code}/", "portal")


def check_vocabulary(m: Matrix, name: str) -> None:
    m.listing(api(f"{name}/"), "api")
    m.listing(api(f"{name}.json"), "api")
    code = VOCABULARIES[name]
    if code:
        m.listing(api(f"{name}/{code}/"), "api")
        m.listing(api(f"{name}/{code}.json"), "api")


def check_summaries(m: Matrix) -> None:
    chile = m.world.partners["chile"].pk
    for query in ("", "?granularity=month&period=2020-05", "?granularity=year&period=2020-01",
                  "?granularity=quarter&period=2020-04&scope=country:CHL",
                  f"?granularity=month&period=2020-05&scope=partner:{chile}",
                  "?granularity=month&period=2020-05&scope=region:005",
                  "?format=csv&granularity=month&period=2020-05", "?print=1"):  # fmt: skip
        m.listing(f"/summaries/{query}", "portal")
    for query in ("", "?granularity=month&period_start=2020-05-01"):
        m.listing(api(f"summaries/{query}"), "api")
    m.listing(api("summaries.json"), "api")
    # A summary row is one audience's: its reader opens it; a row of an audience they may not
    # read answers as a row that never existed.
    rows = {}
    for persona in PERSONAS:
        reply = m.request(persona, "api", api("summaries/?page_size=500"))
        if reply.status == 200:
            rows[persona.name] = {row["id"] for row in json.loads(reply.body)["results"]}
    every = set().union(*rows.values())
    for persona in PERSONAS:
        absent = m.request(persona, "api", api(f"summaries/{NEVER}/"))
        for pk in sorted(every):
            url = api(f"summaries/{pk}/")
            reply = m.request(persona, "api", url)
            if pk in rows.get(persona.name, ()):
                m.expect(reply.status == 200, f"{url} as {persona.name}: {reply.status}")
            else:
                m.expect(
                    reply.same_as(absent, swap=(url, api(f"summaries/{NEVER}/"))),
                    f"{url} as {persona.name}: {reply.status}, not as a row that never existed",
                )
            m.expect(not m.leaks(reply, persona, "api"), f"{url} as {persona.name} leaks")
        m.expect(
            m.request(persona, "api", api(f"summaries/{min(every)}.json")).status
            == (200 if min(every) in rows.get(persona.name, ()) else absent.status),
            f"summaries/<id>.json as {persona.name}",
        )


def check_stats(m: Matrix, subject: str) -> None:
    for group_by in (
        "partner",
        "country",
        "period",
        "substance" if subject == "seizures" else "kind",
    ):
        m.listing(api(f"stats/{subject}/?group_by={group_by}&period=month"), "api")


def check_autocomplete(m: Matrix, name: str) -> None:
    m.listing(f"/autocomplete/{name}/?q=Government", "portal")
    m.listing(f"/autocomplete/{name}/?q=Accord", "portal")
    if name == "agreements":
        m.searches(f"/autocomplete/{name}/", "portal")


def check_search(m: Matrix) -> None:
    for words in ("Summary", "Operation", "Accord", "Seized", "Journal", "Impact"):
        m.listing(f"/search/?q={words}", "portal")
        for kind in ("operations", "agreements", "seizures", "journal", "impact"):
            m.listing(f"/search/?q={words}&type={kind}", "portal")
    m.searches(
        "/search/", "portal",
        kinds=("operation", "agreement", "seizure", "journal-entry", "impact-report"),
    )  # fmt: skip


def check_home(m: Matrix) -> None:
    m.listing("/", "portal")


def check_static(m: Matrix, url: str, channel: str = "portal", who: str = "anyone") -> None:
    """A page about no record: each persona gets the status ``who`` implies, no marker."""
    for persona in PERSONAS:
        reply = m.request(persona, channel, url)
        leaked = m.leaks(reply, persona, channel)
        m.expect(not leaked, f"{url} as {persona.name} shows {sorted(leaked)}")
        m.expect(reply.status < 500, f"{url} as {persona.name}: {reply.status}")
        if who != "any status":
            expected = m.status_for(persona, channel, who)
            m.expect(reply.status == expected, f"{url} as {persona.name}: {reply.status}")


def check_same_for_everyone(m: Matrix, url: str) -> None:
    """Health and metrics: the same status for every persona, no marker."""
    statuses = {m.request(p, "portal", url).status for p in PERSONAS}
    m.expect(len(statuses) == 1, f"{url}: {statuses}")
    check_static(m, url, who="any status")


def check_accounts(m: Matrix) -> None:
    for url in ("/accounts/login/", "/accounts/password_reset/", "/accounts/password_reset/done/",
                "/accounts/reset/done/", "/accounts/reset/MQ/set-password/"):  # fmt: skip
        check_static(m, url)
    for url in ("/accounts/password_change/", "/accounts/password_change/done/"):
        check_static(m, url, who="signed-in")
    for persona in PERSONAS:
        reply = m.request(persona, "portal", "/accounts/logout/", "post-form")
        m.expect(reply.status == 302, f"logout as {persona.name}: {reply.status}")
    m.clients.clear()  # the sessions just ended


def check_admin(m: Matrix) -> None:
    """Every admin URL: administrators only (each page answers them as it should: the
    look-only admins refuse adding and deleting with 403); a staff officer is sent to sign in
    like anyone else."""
    from django.contrib.contenttypes.models import ContentType

    ok, redirect, look_only = {200}, {302}, {200, 403}
    urls = [
        ("/admin/", ok), ("/admin/jsi18n/", ok), ("/admin/nothing-here/", {404}),
        ("/admin/password_change/", ok),
        ("/admin/autocomplete/?app_label=agreements&model_name=agreementparty"
         "&field_name=partner&term=Gov", {200, 403}),
    ]  # fmt: skip
    for model in admin_site._registry:
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        row = model._default_manager.order_by("pk").first()
        urls += [
            (f"/admin/{meta.app_label}/", ok),
            (reverse(f"{name}_changelist"), ok),
            (reverse(f"{name}_add"), look_only),
        ]
        if row is not None:
            urls += [
                (reverse(f"{name}_change", args=[row.pk]), ok),
                (reverse(f"{name}_history", args=[row.pk]), ok),
                (reverse(f"{name}_delete", args=[row.pk]), look_only),
                (f"/admin/{meta.app_label}/{meta.model_name}/{row.pk}/", redirect),
            ]
            if meta.model_name == "user":
                urls.append((f"/admin/cooperation/user/{row.pk}/password/", ok))
    operation = m.world.rows("operation")[0].row
    kind = ContentType.objects.get_for_model(JointOperation).pk
    urls.append((f"/admin/r/{kind}/{operation.pk}/", redirect))
    for url, expected in urls:
        for persona in PERSONAS:
            reply = m.request(persona, "portal", url)
            if persona.session == "administrator":
                m.expect(reply.status in expected, f"{url} as administrator: {reply.status}")
                m.expect("/login/" not in reply.location, f"{url}: administrator sent to sign in")
            else:
                m.expect(
                    reply.status == 302 and "/admin/login/" in reply.location,
                    f"{url} as {persona.name}: {reply.status} {reply.location}",
                )
    check_static(m, "/admin/login/", who="any status")
    check_static(m, "/admin/logout/", who="any status")
    check_static(m, "/admin/password_change/done/", who="any status")


def check_api_meta(m: Matrix) -> None:
    for url in (api(""), api(".json"), api("schema/"), api("docs/")):
        check_static(m, url, "api")
    check_static(m, api("nothing-here/"), "api", who="any status")
    statuses = {m.request(p, "api", api("nothing-here/")).status for p in PERSONAS}
    m.expect(statuses <= {401, 404}, f"unknown API path: {statuses}")


@dataclass(frozen=True)
class Route:
    """A line of the matrix: the resolver names it covers and the checks it runs."""

    names: tuple[str, ...]
    check: Callable[[Matrix], None]

    def __str__(self) -> str:
        return self.names[0]


def record_api(name: str, basename: str) -> Route:
    names = [f"api:{basename}-list", f"api:{basename}-detail"]
    if name in ("agreements", "operations"):
        names += [f"api:{basename}-{x}" for x in ("history", "review", "revert")]
    return Route(tuple(names), lambda m: check_api_records(m, name))


ROUTES = [
    Route(("healthz",), lambda m: check_same_for_everyone(m, "/healthz")),
    Route(("readyz",), lambda m: check_same_for_everyone(m, "/readyz")),
    Route(("metrics",), lambda m: check_same_for_everyone(m, "/metrics")),
    Route(("home",), check_home),
    Route(
        ("agreements:list", "agreements:detail", "agreements:review", "agreements:revert"),
        lambda m: check_portal_records(m, "agreements"),
    ),
    Route(
        ("operations:list", "operations:detail", "operations:review", "operations:revert"),
        lambda m: check_portal_records(m, "operations"),
    ),
    Route(
        ("operations:create", "operations:edit", "operations:journal-add", "operations:impact-add"),
        check_operation_forms,
    ),
    Route(("partners:list", "partners:detail"), lambda m: check_partners(m, "portal")),
    Route(("geography:countries", "geography:country", "geography:region"), check_places),
    Route(("search",), check_search),
    Route(
        (
            "imports:list",
            "imports:template",
            "imports:detail",
            "imports:confirm",
            "imports:problems",
            "api:import-list",
            "api:import-detail",
            "api:import-confirm",
        ),
        check_imports,
    ),
    Route(("summaries:list", "api:summary-list", "api:summary-detail"), check_summaries),
    *[
        Route((f"autocomplete:{name}",), lambda m, n=name: check_autocomplete(m, n))
        for name in ("partners", "countries", "agreements")
    ],
    Route(
        (
            "login",
            "logout",
            "password_change",
            "password_change_done",
            "password_reset",
            "password_reset_done",
            "password_reset_confirm",
            "password_reset_complete",
        ),
        check_accounts,
    ),
    Route(("admin:*",), check_admin),
    Route(("api:stats-seizures",), lambda m: check_stats(m, "seizures")),
    Route(("api:stats-operations",), lambda m: check_stats(m, "operations")),
    Route(("api:schema", "api:docs", "api:api-root", "api:<no-such-path>"), check_api_meta),
    Route(
        (
            "api:region-list",
            "api:region-detail",
            "api:country-list",
            "api:country-detail",
            "api:cooperation-areas-list",
            "api:cooperation-areas-detail",
            "api:operation-kinds-list",
            "api:operation-kinds-detail",
            "api:technologies-list",
            "api:technologies-detail",
            "api:substance-groups-list",
            "api:substance-groups-detail",
            "api:substances-list",
            "api:substances-detail",
        ),
        lambda m: [check_vocabulary(m, name) for name in VOCABULARIES],
    ),
    Route(
        ("api:partner-list", "api:partner-detail", "api:partner-history"),
        lambda m: check_partners(m, "api"),
    ),
    Route(("api:deletion-list", "api:deletion-detail", "api:deletion-history"), check_deleted),
    record_api("agreements", "agreement"),
    record_api("agreement-parties", "agreementparty"),
    record_api("operations", "operation"),
    record_api("participations", "participation"),
    record_api("seizures", "seizure"),
    record_api("legal-bases", "legalbasis"),
    record_api("impact-reports", "impactreport"),
    record_api("journal-entries", "journalentry"),
]


# -- the resolver's every URL is in the table ------------------------------------------------
def routed_names() -> set[str]:
    """The name of every URL the project routes (``namespace:name``); admin URLs as
    ``admin:*``; an unnamed pattern by the view it serves."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                if namespace.startswith("admin:"):
                    yield "admin:*"
                elif pattern.name:
                    yield f"{namespace}{pattern.name}"
                else:
                    view = getattr(pattern.callback, "view_class", pattern.callback)
                    yield f"{namespace}<{view.__name__}>"

    names = set(walk(get_resolver().url_patterns))
    return {"api:<no-such-path>" if n == "api:<NoSuchPath>" else n for n in names}


def test_every_routed_url_is_in_the_matrix():
    covered = {name for route in ROUTES for name in route.names}
    routed = routed_names()
    assert routed - covered == set(), "URLs no line of the matrix covers"
    assert covered - routed == set(), "matrix lines naming URLs that are no longer routed"


# -- the matrix ------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_matrix(world, route):
    matrix = Matrix(world)
    route.check(matrix)
    matrix.done()


def snapshot_urls(world: World) -> list[tuple[str, str]]:
    """Every page, list, count, statistic, search and summary about many records."""
    urls = [("portal", u) for u in (
        "/", "/agreements/", "/operations/", "/agreements/?export=csv", "/operations/?export=csv",
        "/partners/", "/countries/", "/countries/CHL/", "/countries/COL/", "/countries/PER/",
        "/regions/419/", "/regions/005/", "/search/?q=Operation", "/search/?q=Seized",
        "/search/?q=Operation&type=operations", "/summaries/",
        "/summaries/?granularity=month&period=2020-05",
        "/summaries/?granularity=year&period=2020-01",
        "/summaries/?granularity=month&period=2020-05&scope=country:COL",
        "/summaries/?format=csv&granularity=month&period=2020-05",
        "/autocomplete/agreements/?q=Accord",
    )]  # fmt: skip
    urls += [("portal", f"/partners/{p.pk}/") for p in world.partners.values()]
    urls += [
        ("portal", f"/summaries/?granularity={g}&period=2020-{m}&scope=partner:{p.pk}")
        for p in world.partners.values()
        for g, m in (("month", "05"), ("year", "01"))
    ]
    urls += [("api", api(u)) for u in (
        "operations/?page_size=500", "agreements/?page_size=500", "seizures/?page_size=500",
        "participations/?page_size=500", "operations/?format=csv",
        "stats/seizures/?group_by=partner&period=month",
        "stats/seizures/?group_by=country", "stats/seizures/?group_by=substance",
        "stats/seizures/?group_by=region&period=quarter",
        "stats/seizures/?group_by=substance_group&period=year",
        "stats/operations/?group_by=partner", "stats/operations/?group_by=country&period=year",
        "stats/operations/?group_by=kind", "stats/operations/?group_by=status",
        "summaries/?page_size=500", "deleted/?page_size=500",
    )]  # fmt: skip
    urls += [("api", api(f"partners/{p.pk}/")) for p in world.partners.values()]
    return urls


# Records added unseen: (sensitivity, state, author, partners taking part). Each persona gets
# those it may not see; a partner-audience count, an agency's, a co-partner's would move.
ADDED_UNSEEN = [
    ("restricted", "approved", "chile", ("chile",)),
    ("restricted", "draft", "chile", ("chile", "colombia")),
    ("restricted", "approved", "chile", ("chile", "peru")),
    ("restricted", "approved", "chile", ("chile", "colombian navy")),
    ("partners", "approved", "chile", ("chile", "peru")),
    ("public", "submitted", "peru", ("peru", "colombia")),
]


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p.session != "administrator"], ids=str)
def test_a_hidden_record_changes_nothing_its_readers_can_reach(world, persona):
    """Adding the records of ``ADDED_UNSEEN`` this persona may not see — each with a 1,000 kg
    seizure — and computing the summaries again leaves every response about many records
    byte-identical for them (the clock times of the summaries' run aside). Between the adding
    and the reading an administrator, who sees them, reads every URL first: a cache shared
    between readers would hand that on."""
    matrix = Matrix(world)
    urls = snapshot_urls(world)
    before = {(channel, url): matrix.request(persona, channel, url) for channel, url in urls}
    planted = len(world.planted)
    partners = world.partners
    added = 0
    for sensitivity, state, author, taking_part in ADDED_UNSEEN:
        audience = Audience(sensitivity, state, author, frozenset(taking_part))
        if any(audience.open_to(persona.acts_for(channel)) for channel in ("portal", "api")):
            continue
        hidden = plant_operation(
            world, audience, [partners[name] for name in taking_part], [], partners[author]
        )
        Seizure.objects.create(
            operation=hidden, substance_id="cocaine", quantity=Decimal("1000"), unit="kg",
            seized_on=DAY, country=factories.country("COL"),
        )  # fmt: skip
        added += 1
    assert added, "every persona may not see some of them"
    compute_summaries()
    try:
        for channel, url in urls:
            matrix.request(PERSONAS[0], channel, url)  # the administrator, first
        for (channel, url), earlier in before.items():
            now = matrix.request(persona, channel, url)
            matrix.expect(
                now.status == earlier.status
                and without_run_times(normal(now.body)) == without_run_times(normal(earlier.body)),
                f"{url} as {persona.name} changed when {added} records they may not see were added",
            )
    finally:
        del world.planted[planted:]  # the savepoint drops the rows themselves
    matrix.done()


# -- the write side --------------------------------------------------------------------------
def planted_record(world: World, kind: str, state, sensitivity, author, involvement) -> object:
    """The planted agreement or operation of that shape (see ``build_world``), read afresh
    (a test may change it; its savepoint undoes the change, not the world's objects)."""
    partners = world.partners
    for planted in world.rows(kind):
        row = type(planted.row).objects.get(pk=planted.row.pk)
        takes_part = row.parties if kind == "agreement" else row.participations
        entitled = set(takes_part.values_list("partner_id", flat=True))
        shared = set(row.shared_with.values_list("pk", flat=True))
        shape = (
            "colombia takes part" if partners["colombia"].pk in entitled
            else "shared with the colombian navy" if partners["colombian navy"].pk in shared
            else "chile only"
        )  # fmt: skip
        if (row.review_state, row.sensitivity, row.author_partner_id, shape) == (
            state, sensitivity, partners[author].pk, involvement
        ):  # fmt: skip
            return row
    raise LookupError((kind, state, sensitivity, author, involvement))


def portal_edit(matrix, persona, operation, **changes) -> Reply:
    """The operation's edit form as ``persona`` opens it, sent back with ``changes``."""
    from tests.portal.test_operation_forms import edit_data

    client = matrix.client(persona, "portal")
    fields = {
        "name": operation.name,
        "summary": operation.summary,
        "started_on": operation.started_on.isoformat(),
        "countries": ["CHL"],
        "sensitivity": operation.sensitivity,
        "technologies": [],
        "arrests": "0",
    }
    data = {**edit_data(client, operation, **fields), **changes}
    return matrix.request(persona, "portal", f"/operations/{operation.pk}/edit/", "post-form", data)


REFUSALS = (
    b"open it to more people",  # refuse_opening
    b"object does not exist",  # a link to a row the writer cannot see
    b"there is none you may see",  # the same on the portal's form
    b"This token is read-only.",
    b"Only officers of the partner that wrote it",  # the review
    b'"not_found"',
)


def write_attempts(world: World):
    """(what is tried, who tries, how) — each must be refused and write nothing."""
    p = world.partners
    officer = next(x for x in PERSONAS if x.session == "officer")
    outsider = next(x for x in PERSONAS if x.session == "outsider")
    read_only = next(x for x in PERSONAS if x.token == "read-only")
    # Colombia takes part in these, Chile wrote them: Colombia's officers see and may edit
    # them, but may not open them to more people.
    op = planted_record(
        world, "operation", "approved", "restricted", "chile", "colombia takes part"
    )
    agreement = planted_record(
        world, "agreement", "approved", "restricted", "chile", "colombia takes part"
    )
    open_op = planted_record(world, "operation", "approved", "partners", "chile", "chile only")
    hidden_op = planted_record(world, "operation", "approved", "restricted", "chile", "chile only")
    hidden_agreement = planted_record(
        world, "agreement", "approved", "restricted", "chile", "chile only"
    )
    draft = planted_record(world, "agreement", "draft", "public", "chile", "colombia takes part")
    yield from [
        ("widen an operation taking part in it", officer,
         lambda m: m.request(officer, "api", api(f"operations/{op.pk}/"), "patch",
                             {"sensitivity": "partners"})),
        ("make public an operation of every partner's", outsider,
         lambda m: m.request(outsider, "api", api(f"operations/{open_op.pk}/"), "patch",
                             {"sensitivity": "public"})),
        ("share an operation with a partner", officer,
         lambda m: m.request(officer, "api", api(f"operations/{op.pk}/"), "patch",
                             {"shared_with": [p["peru"].pk]})),
        ("widen an agreement taking part in it", officer,
         lambda m: m.request(officer, "api", api(f"agreements/{agreement.pk}/"), "patch",
                             {"sensitivity": "public"})),
        ("share an agreement with a partner", officer,
         lambda m: m.request(officer, "api", api(f"agreements/{agreement.pk}/"), "patch",
                             {"shared_with": [p["peru"].pk, p["colombia"].pk]})),
        ("widen an operation on the portal", officer,
         lambda m: portal_edit(m, officer, op, sensitivity="public")),
        ("share an operation on the portal", officer,
         lambda m: portal_edit(m, officer, op, shared_with=[p["peru"].pk])),
        ("cite an agreement one cannot see", officer,
         lambda m: m.request(officer, "api", api("legal-bases/"), "post",
                             {"operation": op.pk, "agreement": hidden_agreement.pk})),
        ("cite it inside the operation", officer,
         lambda m: m.request(officer, "api", api(f"operations/{op.pk}/"), "patch",
                             {"legal_basis": [{"agreement": hidden_agreement.pk}]})),
        ("cite it on the portal", officer,
         lambda m: portal_edit(m, officer, op, **{
             "legal_bases-TOTAL_FORMS": "2", "legal_bases-1-agreement": hidden_agreement.pk})),
        ("amend an agreement one cannot see", officer,
         lambda m: m.request(officer, "api", api(f"agreements/{agreement.pk}/"), "patch",
                             {"amends": hidden_agreement.pk})),
        ("log a seizure on an operation one cannot see", officer,
         lambda m: m.request(officer, "api", api("seizures/"), "post", {
             "operation": hidden_op.pk, "substance": "cocaine", "quantity": "5", "unit": "kg",
             "seized_on": DAY.isoformat()})),
        ("join an operation one cannot see", officer,
         lambda m: m.request(officer, "api", api("participations/"), "post",
                             {"operation": hidden_op.pk, "partner": p["colombia"].pk,
                              "role": "partner"})),
        ("report on an operation one cannot see", officer,
         lambda m: m.request(officer, "api", api("impact-reports/"), "post", {
             "operation": hidden_op.pk, "kind": "community_engagement", "severity": "low",
             "occurred_on": DAY.isoformat(), "reported_on": DAY.isoformat(),
             "description": "x"})),
        ("write in the journal of an operation one cannot see", officer,
         lambda m: m.request(officer, "api", api("journal-entries/"), "post",
                             {"operation": hidden_op.pk, "kind": "situation_report",
                              "title": "t", "body": "b"})),
        ("write in a journal for a partner one does not act for", officer,
         lambda m: m.request(officer, "api", api("journal-entries/"), "post",
                             {"operation": op.pk, "kind": "situation_report", "title": "t",
                              "body": "b", "author_partner": p["peru"].pk})),
        ("add an uninvolved partner to a restricted operation", officer,
         lambda m: m.request(officer, "api", api("participations/"), "post",
                             {"operation": op.pk, "partner": p["peru"].pk, "role": "partner"})),
        ("add it inside the operation", officer,
         lambda m: m.request(officer, "api", api(f"operations/{op.pk}/"), "patch", {
             "participants": [{"partner": p["chile"].pk, "role": "lead"},
                              {"partner": p["colombia"].pk, "role": "partner"},
                              {"partner": p["peru"].pk, "role": "partner"}]})),
        ("add it on the portal", officer,
         lambda m: portal_edit(m, officer, op, **{
             "participations-TOTAL_FORMS": "3", "participations-2-partner": p["peru"].pk,
             "participations-2-role": "partner"})),
        ("add an uninvolved party to a restricted agreement", officer,
         lambda m: m.request(officer, "api", api("agreement-parties/"), "post",
                             {"agreement": agreement.pk, "partner": p["peru"].pk,
                              "role": "party"})),
        ("make an uninvolved partner facilitate a restricted agreement", officer,
         lambda m: m.request(officer, "api", api(f"agreements/{agreement.pk}/"), "patch",
                             {"facilitator": p["peru"].pk})),
        ("withdraw a record another partner wrote", officer,
         lambda m: m.request(officer, "api", api(f"operations/{op.pk}/review/"), "post",
                             {"move": "withdraw"})),
        ("join an agreement one cannot see", officer,
         lambda m: m.request(officer, "api", api("agreement-parties/"), "post",
                             {"agreement": hidden_agreement.pk, "partner": p["colombia"].pk,
                              "role": "party"})),
        ("move the review of a record one cannot see", officer,
         lambda m: m.request(officer, "api", api(f"agreements/{draft.pk}/review/"), "post",
                             {"move": "submit"})),
        *[
            (f"write {name} with a read-only token", read_only,
             lambda m, n=name: m.request(read_only, "api", api(f"{n}/"), "post", {}))
            for name in API_KINDS
        ],
    ]  # fmt: skip


@pytest.mark.parametrize("attempt", range(32))
def test_no_write_opens_a_record_or_links_to_one_its_writer_cannot_see(world, attempt):
    """Each attempt (``write_attempts``) is refused — 400 with the field's error, 403 or 404,
    or the portal's form shown again with its error — and writes nothing."""
    attempts = list(write_attempts(world))
    assert len(attempts) == 32, "keep the parametrization in step with the attempts"
    what, _, attempt_it = attempts[attempt]
    matrix = Matrix(world)
    before = fingerprint()
    reply = attempt_it(matrix)
    CASES["count"] += 1
    assert reply.status in (200, 400, 403, 404), (what, reply.status, reply.body[:300])
    # Refused for what it tried, not for some other fault of the request.
    assert any(reason in reply.body for reason in REFUSALS), (what, reply.body[:300])
    if reply.status == 200:  # the portal form, shown again
        assert b"The operation was not saved" in reply.body, what
    assert fingerprint() == before, f"{what}: written"


def test_whoever_speaks_for_a_record_may_open_it(world):
    """The control: the same widening by an administrator is accepted (the refusals above are
    the rule, not a broken endpoint)."""
    matrix = Matrix(world)
    administrator = PERSONAS[0]
    op = planted_record(
        world, "operation", "approved", "restricted", "chile", "colombia takes part"
    )
    reply = matrix.request(
        administrator, "api", api(f"operations/{op.pk}/"), "patch",
        {"sensitivity": "public", "shared_with": [world.partners["peru"].pk]},
    )  # fmt: skip
    assert reply.status == 200, reply.body
    op.refresh_from_db()
    assert op.sensitivity == "public"
    joined = matrix.request(
        administrator, "api", api("participations/"), "post",
        {"operation": op.pk, "partner": world.partners["peru"].pk, "role": "partner"},
    )  # fmt: skip
    assert joined.status == 201, joined.body


def test_the_portal_refuses_the_widening_not_the_edit(world):
    """The control for the portal's form: the officer's edit that opens nothing is saved; the
    administrator's widening is saved."""
    matrix = Matrix(world)
    officer = next(x for x in PERSONAS if x.session == "officer")
    op = planted_record(
        world, "operation", "approved", "restricted", "chile", "colombia takes part"
    )
    reply = portal_edit(matrix, officer, op, summary="Corrected by Colombia.")
    assert reply.status == 302, reply.body[:500]
    op.refresh_from_db()
    assert (op.summary, op.sensitivity) == ("Corrected by Colombia.", "restricted")
    reply = portal_edit(matrix, PERSONAS[0], op, sensitivity="public")
    assert reply.status == 302, reply.body[:500]
    op.refresh_from_db()
    assert (op.summary, op.sensitivity) == ("Corrected by Colombia.", "public")


def test_the_hostile_text_is_shown_escaped_and_exported_defused(world):
    """The control of ``unsafe``: the planted script and formula do reach pages and exports —
    escaped, and with the apostrophe that keeps a spreadsheet from running it."""
    matrix = Matrix(world)
    administrator = PERSONAS[0]
    op = world.rows("operation")[0].row
    page = matrix.request(administrator, "portal", f"/operations/{op.pk}/")
    assert b"&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page.body
    for channel, url in (
        ("api", api("operations/?format=csv")),
        ("portal", "/operations/?export=csv"),
    ):
        export = matrix.request(administrator, channel, url)
        assert export.content_type.startswith("text/csv")
        cells = [cell for row in csv.reader(io.StringIO(export.body.decode())) for cell in row]
        assert any(HOSTILE in cell for cell in cells), url
        if channel == "api":
            assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert not matrix.failures, matrix.failures
