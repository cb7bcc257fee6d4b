"""Declarations of the API resources the generated tests exercise (NetBox-style): each names
its endpoint, how to make a row that hangs off a record of a given sensitivity, and sample
payloads. ``tests/api/test_resources.py`` turns each declaration into the routine cases."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from tests import factories

D = datetime.date


@dataclass
class Resource:
    name: str  # the URL prefix under /api/v1/
    make: Callable  # (cast, sensitivity) -> a row; restricted rows involve Colombia only
    writable: bool = True
    create: Callable | None = None  # (cast) -> payload of a valid new row
    invalid: Callable | None = None  # (cast) -> (payload, field that must carry the error)
    update: dict = field(default_factory=dict)  # a PATCH that must be accepted
    sensitive: bool = True  # rows follow a record's sensitivity


def operation(cast, sensitivity="public", **fields):
    return factories.JointOperationFactory(
        sensitivity=sensitivity, participants=[cast.colombia], **fields
    )


def agreement(cast, sensitivity="public", **fields):
    return factories.AgreementFactory(sensitivity=sensitivity, parties=[cast.colombia], **fields)


RESOURCES = [
    Resource(
        "agreements",
        make=lambda cast, s: agreement(cast, s),
        create=lambda cast: {
            "kind": "mou",
            "scope": "bilateral",
            "title": "Memorandum on riverine interdiction",
            "sensitivity": "partners",
            "signed_on": "2021-03-01",
            "areas": ["land_interdiction"],
            "parties": [
                {"partner": cast.colombia.pk, "role": "party", "signed_on": "2021-03-01"},
                {"partner": cast.peru.pk, "role": "party"},
            ],
        },
        invalid=lambda cast: (
            {
                "kind": "mou",
                "scope": "multilateral",
                "title": "Backwards memorandum",
                "sensitivity": "public",
                "signed_on": "2021-03-01",
                "entry_into_force_on": "2020-01-01",
            },
            "entry_into_force_on",
        ),
        update={"summary": "Extended to river ports."},
    ),
    Resource(
        "operations",
        make=lambda cast, s: operation(cast, s),
        create=lambda cast: {
            "name": "Operation Estuary",
            "kind": "maritime_interdiction",
            "status": "active",
            "started_on": "2024-02-01",
            "sensitivity": "partners",
            "countries": ["COL", "PER"],
            "participants": [
                {"partner": cast.colombian_navy.pk, "role": "lead", "personnel": 120},
                {"partner": cast.peru.pk, "role": "partner"},
            ],
            "seizures": [
                {
                    "substance": "cocaine",
                    "quantity": "850",
                    "unit": "kg",
                    "seized_on": "2024-02-03",
                },
                {
                    "substance": "cannabis_herb",
                    "quantity": "2",
                    "unit": "t",
                    "seized_on": "2024-02-04",
                },
            ],
        },
        invalid=lambda cast: (
            {
                "name": "Operation Nowhen",
                "kind": "raid",
                "status": "planned",
                "sensitivity": "public",
            },
            "started_on",
        ),
        update={"arrests": 14},
    ),
    Resource(
        "seizures",
        make=lambda cast, s: factories.SeizureFactory(operation=operation(cast, s)),
        create=lambda cast: {
            "operation": operation(cast, "public", started_on=D(2023, 5, 1)).pk,
            "substance": "heroin",
            "quantity": "12.5",
            "unit": "kg",
            "seized_on": "2023-05-02",
            "country": "COL",
        },
        invalid=lambda cast: (
            {
                "operation": operation(cast, "public").pk,
                "substance": "heroin",
                "quantity": "-3",
                "unit": "kg",
                "seized_on": "2020-05-02",
            },
            "quantity",
        ),
        update={"forensic_status": "confirmed"},
    ),
    Resource(
        "participations",
        make=lambda cast, s: operation(cast, s).participations.get(),
        create=lambda cast: {
            "operation": operation(cast, "public").pk,
            "partner": cast.peru.pk,
            "role": "support",
        },
        invalid=lambda cast: (
            {"operation": operation(cast, "public").pk, "partner": cast.peru.pk, "role": "boss"},
            "role",
        ),
        update={"personnel": 40},
    ),
    Resource(
        "legal-bases",
        make=lambda cast, s: factories.LegalBasisFactory(
            operation=operation(cast, s), agreement=agreement(cast, "public")
        ),
        create=lambda cast: {
            "operation": operation(cast, "public").pk,
            "agreement": agreement(cast, "public").pk,
            "article": "Art. 4",
        },
        invalid=lambda cast: ({"operation": operation(cast, "public").pk}, "agreement"),
        update={"article": "Art. 5(2)"},
    ),
    Resource(
        "impact-reports",
        make=lambda cast, s: factories.ImpactReportFactory(operation=operation(cast, s)),
        create=lambda cast: {
            "operation": operation(cast, "public").pk,
            "kind": "displacement",
            "severity": "moderate",
            "occurred_on": "2020-05-02",
            "reported_on": "2020-05-04",
            "description": "Twelve families moved to the municipal seat.",
        },
        invalid=lambda cast: (
            {
                "operation": operation(cast, "public").pk,
                "kind": "displacement",
                "severity": "moderate",
                "occurred_on": "2020-05-04",
                "reported_on": "2020-05-02",
                "description": "Reported before it happened.",
            },
            "reported_on",
        ),
        update={"follow_up_status": "closed"},
    ),
    Resource(
        "journal-entries",
        make=lambda cast, s: factories.JournalEntryFactory(
            operation=operation(cast, s), author=cast.officer
        ),
        create=lambda cast: {
            "operation": operation(cast, "public").pk,
            "kind": "situation_report",
            "title": "Day two",
            "body": "Two vessels boarded.",
        },
        invalid=lambda cast: (
            {
                "operation": operation(cast, "public").pk,
                "kind": "gossip",
                "title": "x",
                "body": "y",
            },
            "kind",
        ),
        update={"title": "Day two, corrected"},
    ),
    Resource(
        "agreement-parties",
        make=lambda cast, s: agreement(cast, s).parties.get(),
        create=lambda cast: {
            "agreement": agreement(cast, "public").pk,
            "partner": cast.peru.pk,
            "role": "observer",
        },
        invalid=lambda cast: (
            {
                "agreement": agreement(cast, "public").pk,
                "partner": cast.peru.pk,
                "role": "observer",
                "consent_type": "ratification",
                "consent_on": "2020-01-01",
            },
            "consent_type",
        ),
        update={"notes": "Signed in Lima."},
    ),
    Resource(
        "partners",
        make=lambda cast, s: factories.OrganizationFactory(),
        writable=False,
        sensitive=False,
    ),
    Resource("countries", make=lambda cast, s: None, writable=False, sensitive=False),
    Resource("regions", make=lambda cast, s: None, writable=False, sensitive=False),
]

BY_NAME = {resource.name: resource for resource in RESOURCES}
