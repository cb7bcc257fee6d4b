"""A long, stateful schemathesis run over the whole REST API, against a live server.

    make fuzz                 # FUZZ_SECONDS=300 FUZZ_MAX_EXAMPLES=100 FUZZ_SEED=… to change
    .venv/bin/python bench/fuzz_api.py [--seconds S] [--max-examples N] [--seed N]
                                       [--phases examples,coverage,fuzzing,stateful]

Runs against ``DATABASE_URL`` when set (migrated and given the demo data if it lacks them;
the fuzz's writes stay in it), else against a ``bench_fuzz`` database on the embedded
PostgreSQL server, made anew from the demo data each run. Starts gunicorn on a free loopback
port with production settings less TLS and less throttling (a fuzzer is not to be slowed
down), and calls every operation of ``/api/v1/schema/`` as Colombia's officer, with a
read-write API token.

The phases: the schema's examples, the coverage of every parameter's boundaries, fuzzing
(random valid and invalid requests, ``--max-examples`` per operation and pass), and
stateful sequences that carry real ids from one response into the next request. Those
sequences follow the links schemathesis infers from the schema (a list or a create feeding
the detail, update and delete of the same resource) and the ones added here, which it
cannot infer: a new operation or agreement feeding the writes of its child rows
(``journal-entries``, ``seizures``, ``participations``, ``legal-bases``,
``impact-reports``, ``agreement-parties``), its history, review and revert; a record's
history feeding the revert of a change; and a delete followed by a read of what it deleted.
Since bodies drawn from the schema alone are seldom valid writes, each write also draws now
and then one of a few valid bodies (``bench/fuzz_hooks.py``), so that sequences get past
their first step. Fuzzing and stateful testing repeat until ``--seconds`` are spent.

Checks every response: no server error; a status code, content type, headers and body the
schema documents; after a create, the new row can be read; after a delete, it cannot.
Prints schemathesis' summary (every failure with a curl command to reproduce it) and exits
non-zero on any failure. The server's output and the schema with its links are kept under
``bench/out/``.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

from bench import live_server  # noqa: E402

API = "/api/v1"
# A record's id feeds the body field of the writes of its child rows.
CHILDREN = {
    f"{API}/operations/": (
        "operation",
        ["journal-entries", "seizures", "participations", "legal-bases", "impact-reports"],
    ),
    f"{API}/agreements/": ("agreement", ["agreement-parties", "legal-bases"]),
}
# What the checks cover (schemathesis' names); the schema says nothing of response times,
# nor of the rules across fields and rows that decide whether valid-looking input is taken.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ensure_resource_availability",
    "use_after_free",
]
PHASES = "examples,coverage,fuzzing,stateful"


def reference(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def add_links(schema: dict) -> int:
    """Add the OpenAPI links schemathesis cannot infer (see the module's docstring); return
    how many."""
    paths = schema["paths"]
    added = 0

    def link(source: dict, status: str, name: str, target: str, **how) -> None:
        nonlocal added
        links = source["responses"][status].setdefault("links", {})
        if name not in links:
            links[name] = {"operationRef": target, **how}
            added += 1

    for collection, (field, children) in CHILDREN.items():
        detail = f"{collection}{{pk}}/"
        producers = [(paths[collection]["post"], "201"), (paths[detail]["get"], "200")]
        for source, status in producers:
            for child in children:
                target = f"{API}/{child}/"
                link(
                    source,
                    status,
                    f"add {child}",
                    reference(target, "post"),
                    requestBody={field: "$response.body#/id"},
                )
            for action, method in (("history", "get"), ("review", "post"), ("revert", "post")):
                target = f"{detail}{action}/"
                if method in paths.get(target, {}):
                    link(
                        source,
                        status,
                        action,
                        reference(target, method),
                        parameters={"path.pk": "$response.body#/id"},
                    )
        # A change from the history (its first entry), put back.
        history, revert = f"{detail}history/", f"{detail}revert/"
        if "get" in paths.get(history, {}) and "post" in paths.get(revert, {}):
            link(
                paths[history]["get"],
                "200",
                "revert a change",
                reference(revert, "post"),
                parameters={"path.pk": "$request.path.pk"},
                requestBody={
                    "event": "$response.body#/0/id",
                    "field": "$response.body#/0/changes/0/field",
                },
            )
    for path, operations in paths.items():
        deleted = operations.get("delete", {}).get("responses", {})
        if "204" in deleted and "get" in operations:
            link(
                operations["delete"],
                "204",
                "read what was deleted",
                reference(path, "get"),
                parameters={"path.pk": "$request.path.pk"},
            )
    return added


def valid_bodies() -> dict[str, list[dict]]:
    """A few valid bodies for each write, with ids of the database under test (see
    ``bench/fuzz_hooks.py``), keyed by "METHOD path"."""
    from agreements.models import Agreement
    from cooperation.models import Partner, User
    from operations.models import JointOperation

    officer = User.objects.get(username="officer")
    colombia = Partner.objects.get(kind="government", country_id="COL")
    peru = Partner.objects.get(kind="government", country_id="PER")
    navy = Partner.objects.get(name="Colombian Navy")
    peruvian_agency = Partner.objects.filter(kind="agency", parent=peru).order_by("pk").first()
    organization = Partner.objects.filter(kind="organization").order_by("pk").first()
    ours = JointOperation.objects.visible_to(officer).filter(participations__partner=colombia)
    operation = ours.order_by("pk").first()
    agreement = Agreement.objects.visible_to(officer).filter(parties__partner=colombia)
    agreement = agreement.order_by("pk").first()
    started = "2024-02-01"
    new_operation = {
        "name": "Operation Estuary",
        "kind": "maritime_interdiction",
        "status": "active",
        "started_on": started,
        "sensitivity": "partners",
        "countries": ["COL", "PER"],
        "participants": [
            {"partner": navy.pk, "role": "lead", "personnel": 120},
            {"partner": peru.pk, "role": "partner"},
        ],
        "seizures": [
            {"substance": "cocaine", "quantity": "850", "unit": "kg", "seized_on": "2024-02-03"}
        ],
    }
    new_agreement = {
        "kind": "mou",
        "scope": "bilateral",
        "title": "Memorandum on riverine interdiction",
        "sensitivity": "partners",
        "signed_on": "2021-03-01",
        "areas": ["land_interdiction"],
        "parties": [
            {"partner": colombia.pk, "role": "party", "signed_on": "2021-03-01"},
            {"partner": peru.pk, "role": "party"},
        ],
    }
    children = {
        "seizures": {
            "substance": "heroin",
            "quantity": "12.5",
            "unit": "kg",
            "seized_on": "2024-02-05",
            "country": "COL",
        },
        "participations": {"partner": peruvian_agency.pk, "role": "support"},
        "legal-bases": {"agreement": agreement.pk, "article": "Art. 4"},
        "impact-reports": {
            "kind": "displacement",
            "severity": "moderate",
            "occurred_on": "2024-02-02",
            "reported_on": "2024-02-04",
            "description": "Twelve families moved to the municipal seat.",
        },
        "journal-entries": {
            "kind": "situation_report",
            "title": "Day two",
            "body": "Two vessels boarded.",
        },
    }
    corrections = {
        "operations": {"arrests": 14},
        "agreements": {"summary": "Extended to river ports."},
        "seizures": {"forensic_status": "confirmed"},
        "participations": {"personnel": 40},
        "legal-bases": {"article": "Art. 5(2)"},
        "impact-reports": {"follow_up_status": "closed"},
        "journal-entries": {"title": "Day two, corrected"},
        "agreement-parties": {"notes": "Signed in Lima."},
    }
    creates = {
        "operations": new_operation,
        "agreements": new_agreement,
        "agreement-parties": {
            "agreement": agreement.pk,
            "partner": organization.pk,
            "role": "observer",
        },
        **{name: {"operation": operation.pk, **body} for name, body in children.items()},
    }
    bodies = {}
    for name, body in creates.items():
        bodies[f"POST {API}/{name}/"] = [body]
        bodies[f"PUT {API}/{name}/{{pk}}/"] = [body]
        bodies[f"PATCH {API}/{name}/{{pk}}/"] = [corrections[name]]
    for name in ("operations", "agreements"):
        bodies[f"POST {API}/{name}/{{pk}}/review/"] = [{"move": "submit"}]
    return bodies


def fetch_schema(base: str) -> dict:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request("GET", f"{API}/schema/?format=json")
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"the schema answered {response.status}")
        return json.loads(response.read())
    finally:
        connection.close()


def warnings_shown() -> str:
    """Every schemathesis warning but the one about media types it cannot read (CSV and
    NDJSON exports: documented with the JSON page's schema, and not checked here)."""
    from schemathesis.core.warnings import SchemathesisWarning

    skipped = SchemathesisWarning.MISSING_DESERIALIZER
    return ",".join(warning.value for warning in SchemathesisWarning if warning != skipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS") or 300))
    parser.add_argument(
        "--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES") or 100)
    )
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("FUZZ_SEED") or time.strftime("%Y%m%d"))
    )
    parser.add_argument("--phases", default=os.environ.get("FUZZ_PHASES") or PHASES)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    url, scratch = live_server.django_on("bench_fuzz")
    from django.db import connection

    from cooperation.models import ApiToken, User

    run = time.strftime("%Y%m%d-%H%M%S")
    token, key = ApiToken.issue(User.objects.get(username="officer"), name=f"fuzz {run}")
    live_server.OUT.mkdir(parents=True, exist_ok=True)
    bodies_file = live_server.OUT / "fuzz-bodies.json"
    bodies_file.write_text(json.dumps(valid_bodies()))
    connection.close()

    unthrottled = {"API_THROTTLE_RATE": "1000000/min", "API_ANON_THROTTLE_RATE": "1000000/min"}
    # gunicorn refuses request lines over 4 KB itself (414, before the API sees them); the
    # fuzz is about the API, so the limit is lifted.
    options = ("--limit-request-line", "0", "--timeout", "120")
    server_log = live_server.OUT / "fuzz-server.log"
    with live_server.gunicorn(
        url, workers=args.workers, log=server_log, env=unthrottled, options=options
    ) as server:
        base = server.url
        schema = copy.deepcopy(fetch_schema(base))
        added = add_links(schema)
        schema_file = live_server.OUT / "fuzz-schema.json"
        schema_file.write_text(json.dumps(schema))
        print(
            f"Fuzzing {base}{API}/ for {args.seconds} s as Colombia's officer "
            f"({'bench_fuzz, made anew' if scratch else 'DATABASE_URL'}): phases "
            f"{args.phases}, {args.max_examples} examples per operation and pass, seed "
            f"{args.seed}, {added} links added to those schemathesis infers",
            flush=True,
        )
        finished = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                str(schema_file),
                "--url",
                base,
                "--header",
                f"Authorization: Token {key}",
                "--phases",
                args.phases,
                "--checks",
                ",".join(CHECKS),
                "--max-examples",
                str(args.max_examples),
                "--max-time",
                str(args.seconds),
                "--seed",
                str(args.seed),
                "--workers",
                "2",
                "--request-timeout",
                "60",
                "--warnings",
                warnings_shown(),
                "--report",
                "junit",
                "--report-dir",
                str(live_server.OUT / "fuzz-report"),
            ],
            cwd=live_server.OUT,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": str(ROOT / "bench" / "fuzz_hooks.py"),
                "FUZZ_BODIES": str(bodies_file),
            },
            check=False,
        )
    ApiToken.objects.filter(pk=token.pk).delete()
    print(f"Server log: {server_log}")
    sys.exit(finished.returncode)


if __name__ == "__main__":
    main()
