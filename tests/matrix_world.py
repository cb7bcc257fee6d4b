"""The world the permission matrix (``tests/test_permission_matrix.py``) reads: partners,
personas, and records of every sensitivity × review state × author × involvement, each with
its child rows, every one carrying a marker string of its own (``ZQX`` and four digits).

What each persona may see is written here from the design brief, independently of
``cooperation.visibility``:

- an approved *public* record is for everyone;
- an approved *partners* record is for anyone signed in (active);
- an approved *restricted* record is for those acting for a partner that takes part in it or
  that it is shared with (a government acts for its agencies), and for administrators;
- a record not yet approved (draft, submitted, withdrawn) is for those acting for the partner
  that wrote it, and for administrators;
- the partner that wrote a record keeps seeing it, whatever its state or sensitivity;
- a legal basis needs both its operation and the agreement it cites;
- an import job is for its owner and administrators.
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from agreements.models import Agreement, AgreementParty
from cooperation.models import ApiToken, Deletion, ImportJob, Partner
from cooperation.visibility import ADMINISTRATOR_GROUP, ANALYST_GROUP, OFFICER_GROUP
from operations.models import (
    JointOperation,
    LegalBasis,
    Participation,
    Seizure,
)
from tests import factories

MARKER = re.compile(rb"ZQX\d{4}")
# Written into every record's free text: a page that does not escape it, or an export that
# lets a spreadsheet run it, fails the matrix (``tests/test_permission_matrix.py``).
HOSTILE = '<script>alert("xss")</script>'
FORMULA = '=HYPERLINK("http://example.invalid","x")'

NEVER = 1_999_999_999  # an id no row has
NEVER_UUID = "00000000-0000-4000-8000-000000000000"
DAY = datetime.date(2020, 5, 12)  # every record of the world happens in May 2020

ALL = "all"


@dataclass(frozen=True)
class Persona:
    """A kind of user, and how a request of theirs is made.

    ``session``: the user signed in to the portal (None: no session). ``token``: how API
    requests authenticate — "read-only", "expired", "deactivated" (the token of a user since
    deactivated) or None (the session, if any). ``acts_for`` is what the brief grants on the
    portal; ``api_acts_for`` on the API (a token acts for its owner)."""

    name: str
    session: str | None
    token: str | None = None

    def acts_for(self, channel: str):
        """The partners this persona acts for on ``channel`` ("portal" or "api"): a set of
        partner names, ALL for an administrator, None when not signed in (or refused)."""
        if channel == "api" and self.token is not None:
            return ACTS_FOR["officer"] if self.token == "read-only" else None
        return ACTS_FOR.get(self.session) if self.session else None

    def api_refused(self) -> bool:
        """Every API request with this persona's credentials is a 401."""
        return self.token in ("expired", "deactivated")

    def user_key(self, channel: str) -> str | None:
        if channel == "api" and self.token is not None:
            return "officer" if self.token == "read-only" else None
        return self.session if self.session != "deactivated" else None


ACTS_FOR = {
    "analyst": frozenset(),
    "officer": frozenset({"colombia", "colombian navy"}),
    "navy officer": frozenset({"colombian navy"}),  # an agency does not act for its government
    "outsider": frozenset({"peru"}),
    "administrator": ALL,
    "deactivated": None,
}

# The most entitled first: a cache shared between users would then leak into the next one.
PERSONAS = [
    Persona("administrator", "administrator"),
    Persona("officer of colombia", "officer"),
    Persona("officer of the colombian navy", "navy officer"),
    Persona("officer of an uninvolved partner", "outsider"),
    Persona("analyst", "analyst"),
    Persona("read-only token of the officer", None, "read-only"),
    Persona("expired token of the officer", None, "expired"),
    Persona("deactivated officer", "deactivated"),
    Persona("token of a deactivated officer", None, "deactivated"),
    Persona("anonymous", None),
]


@dataclass(frozen=True)
class Audience:
    """Who a record is for: the facts the brief's rule reads."""

    sensitivity: str
    state: str
    author: str
    entitled: frozenset  # partners taking part or shared with

    def open_to(self, acts_for) -> bool:
        if acts_for == ALL:
            return True
        if acts_for is not None and self.author in acts_for:
            return True  # the partner that wrote a record keeps seeing it
        if self.state != "approved":
            return acts_for is not None and self.author in acts_for
        if self.sensitivity == "public":
            return True
        if acts_for is None:
            return False
        if self.sensitivity == "partners":
            return True
        return bool(acts_for & self.entitled)


@dataclass
class Planted:
    """A row of the world and the markers written into it (its own and its children's)."""

    kind: str  # "operation", "agreement", "seizure", ..., "deleted", "import"
    row: object
    markers: list[str]
    who_sees: object  # (acts_for, user_key) -> bool

    def seen_by(self, persona: Persona, channel: str) -> bool:
        return self.who_sees(persona.acts_for(channel), persona.user_key(channel))


@dataclass
class World:
    partners: dict[str, Partner]
    users: dict[str, object]
    keys: dict[str, str]  # token kind -> key
    planted: list[Planted] = field(default_factory=list)
    _next: itertools.count = field(default_factory=lambda: itertools.count(1))

    def marker(self) -> str:
        return f"ZQX{next(self._next):04d}"

    def rows(self, kind: str) -> list[Planted]:
        return [p for p in self.planted if p.kind == kind]

    def visible_markers(self, persona: Persona, channel: str) -> set[bytes]:
        return {m.encode() for p in self.planted if p.seen_by(persona, channel) for m in p.markers}

    def all_markers(self) -> set[bytes]:
        return {m.encode() for p in self.planted for m in p.markers}


def record_rule(audience: Audience):
    return lambda acts_for, user: audience.open_to(acts_for)


def build_world() -> World:
    chile = factories.GovernmentFactory(
        country=factories.country("CHL"), name="Government of Chile"
    )
    colombia = factories.GovernmentFactory(
        country=factories.country("COL"), name="Government of Colombia"
    )
    navy = factories.AgencyFactory(
        parent=colombia, name="Colombian Navy", agency_type=Partner.AgencyType.NAVY_COAST_GUARD
    )
    peru = factories.GovernmentFactory(country=factories.country("PER"), name="Government of Peru")
    partners = {"chile": chile, "colombia": colombia, "colombian navy": navy, "peru": peru}
    users = {
        "analyst": factories.UserFactory(username="m-analyst", groups=[ANALYST_GROUP]),
        # Staff, yet no administrator: the admin site must still refuse them.
        "officer": factories.UserFactory(
            username="m-officer", groups=[OFFICER_GROUP], partners=[colombia], is_staff=True
        ),
        "navy officer": factories.UserFactory(
            username="m-navy-officer", groups=[OFFICER_GROUP], partners=[navy]
        ),
        "outsider": factories.UserFactory(
            username="m-outsider", groups=[OFFICER_GROUP], partners=[peru]
        ),
        "administrator": factories.UserFactory(
            username="m-administrator", groups=[ADMINISTRATOR_GROUP], is_staff=True
        ),
        "deactivated": factories.UserFactory(
            username="m-deactivated", groups=[OFFICER_GROUP], partners=[colombia], is_staff=True
        ),
    }
    keys = {
        "read-only": ApiToken.issue(users["officer"], read_only=True)[1],
        "deactivated": ApiToken.issue(users["deactivated"])[1],
    }
    expired, keys["expired"] = ApiToken.issue(users["officer"], expires_in_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    users["deactivated"].is_active = False
    users["deactivated"].save(update_fields=["is_active"])
    world = World(partners=partners, users=users, keys=keys)

    # Approved records: every sensitivity × who is entitled. Records under review: every
    # state × author × sensitivity, Colombia taking part (which does not open them).
    shapes = (
        [
            ("approved", sensitivity, "chile", involvement)
            for sensitivity in ("public", "partners", "restricted")
            for involvement in (
                "colombia takes part",
                "shared with the colombian navy",
                "chile only",
            )
        ]
        + [
            # Written by Colombia's navy, about Chile alone: its author still sees it.
            ("approved", "restricted", "colombian navy", "chile only"),
        ]
        + [
            (state, sensitivity, author, "colombia takes part")
            for state in ("draft", "submitted", "withdrawn")
            for author in ("chile", "colombian navy")
            for sensitivity in ("public", "restricted")
        ]
    )
    pairs = {}
    for state, sensitivity, author, involvement in shapes:
        takes_part = [chile] + ([colombia] if involvement == "colombia takes part" else [])
        shared = [navy] if involvement.startswith("shared") else []
        audience = Audience(
            sensitivity,
            state,
            author,
            frozenset(
                {"chile"}
                | ({"colombia"} if involvement == "colombia takes part" else set())
                | ({"colombian navy"} if shared else set())
            ),
        )
        agreement = plant_agreement(world, audience, takes_part, shared, partners[author])
        operation = plant_operation(world, audience, takes_part, shared, partners[author])
        pairs[state, sensitivity, author, involvement] = (operation, agreement, audience)
        plant_legal_basis(world, operation, audience, agreement, audience)

    # A legal basis whose two ends are seen by different people: a public operation citing a
    # restricted agreement of Chile's alone, and the other way round.
    open_op, _, open_audience = pairs["approved", "public", "chile", "chile only"]
    closed_op, closed_agreement, closed_audience = pairs[
        "approved", "restricted", "chile", "chile only"
    ]
    _, open_agreement, _ = pairs["approved", "public", "chile", "chile only"]
    plant_legal_basis(world, open_op, open_audience, closed_agreement, closed_audience)
    plant_legal_basis(world, closed_op, closed_audience, open_agreement, open_audience)

    # Deleted records leave tombstones (and a history) seen by their audience at deletion.
    for sensitivity, involvement in (
        ("public", "chile only"),
        ("partners", "chile only"),
        ("restricted", "colombia takes part"),
        ("restricted", "chile only"),
    ):
        takes_part = [chile] + ([colombia] if involvement == "colombia takes part" else [])
        audience = Audience(
            sensitivity,
            "approved",
            "chile",
            frozenset({"chile"} | ({"colombia"} if "colombia" in involvement else set())),
        )
        first = len(world.planted)
        gone = plant_operation(world, audience, takes_part, [], chile)
        # Its rows go; their markers stay in the history a tombstone leads to.
        markers = [m for p in world.planted[first:] for m in p.markers]
        del world.planted[first:]
        pk = gone.pk
        gone.delete()
        tombstone = Deletion.objects.get(resource="operations", object_id=pk)
        world.planted.append(Planted("deleted", tombstone, markers, record_rule(audience)))

    # An import job: its owner's and the administrators'.
    marker = world.marker()
    job = ImportJob.objects.create(
        kind="operations",
        filename=f"operations-{marker}.csv",
        content=b"name\n",
        user=users["officer"],
        author_partner=colombia,
        state=ImportJob.State.CHECKED,
        problems=[{"row": 2, "column": "name", "message": f"Problem {marker}"}],
    )
    world.planted.append(
        Planted(
            "import", job, [marker], lambda acts_for, user: user in ("officer", "administrator")
        )
    )
    return world


def plant_agreement(world, audience, takes_part, shared, author) -> Agreement:
    marker, party_marker = world.marker(), world.marker()
    agreement = factories.AgreementFactory(
        title=f"Accord {marker} {HOSTILE}",
        summary=f"{FORMULA} Summary of {marker}. {HOSTILE}",
        sensitivity=audience.sensitivity,
        review_state=audience.state,
        author_partner=author,
        shared_with=shared,
        signed_on=datetime.date(2019, 3, 1),
    )
    for partner in takes_part:
        AgreementParty.objects.create(
            agreement=agreement,
            partner=partner,
            notes=f"{FORMULA} Party note {party_marker} {HOSTILE}",
        )
    rule = record_rule(audience)
    world.planted.append(Planted("agreement", agreement, [marker], rule))
    world.planted.append(
        Planted("agreement-party", agreement.parties.first(), [party_marker], rule)
    )
    return agreement


def plant_operation(world, audience, takes_part, shared, author) -> JointOperation:
    marker = world.marker()
    operation = factories.JointOperationFactory(
        name=f"Operation {marker} {HOSTILE}",
        summary=f"{FORMULA} Summary of {marker}. {HOSTILE}",
        sensitivity=audience.sensitivity,
        review_state=audience.state,
        author_partner=author,
        shared_with=shared,
        started_on=DAY,
    )
    operation.countries.set([factories.country("CHL")])
    rule = record_rule(audience)
    planted = Planted("operation", operation, [marker], rule)
    world.planted.append(planted)
    for number, partner in enumerate(takes_part):
        row_marker = world.marker()
        participation = Participation.objects.create(
            operation=operation,
            partner=partner,
            role=Participation.Role.LEAD if number == 0 else Participation.Role.PARTNER,
            contribution=f"{FORMULA} Contribution {row_marker} {HOSTILE}",
        )
        world.planted.append(Planted("participation", participation, [row_marker], rule))
    children = []
    row_marker = world.marker()
    children.append(
        (
            "seizure",
            Seizure.objects.create(
                operation=operation,
                substance_id="cocaine",
                quantity=Decimal("250"),
                unit="kg",
                seized_on=DAY,
                country=factories.country("CHL"),
                location=f"Port {row_marker}",
                notes=f"{FORMULA} Seized {row_marker} {HOSTILE}",
            ),
            row_marker,
        )
    )
    row_marker = world.marker()
    children.append(
        (
            "impact-report",
            factories.ImpactReportFactory(
                operation=operation,
                description=f"{FORMULA} Impact {row_marker} {HOSTILE}",
                country=factories.country("CHL"),
                occurred_on=DAY,
                reported_on=DAY,
            ),
            row_marker,
        )
    )
    row_marker = world.marker()
    children.append(
        (
            "journal-entry",
            factories.JournalEntryFactory(
                operation=operation,
                title=f"Entry {row_marker} {HOSTILE}",
                body=f"{FORMULA} Journal {row_marker} {HOSTILE}",
                author=world.users["administrator"],
            ),
            row_marker,
        )
    )
    for kind, row, row_marker in children:
        world.planted.append(Planted(kind, row, [row_marker], rule))
    return operation


def plant_legal_basis(world, operation, op_audience, agreement, agreement_audience) -> None:
    marker = world.marker()
    basis = LegalBasis.objects.create(
        operation=operation, agreement=agreement, article=f"Article {marker}"
    )
    world.planted.append(
        Planted(
            "legal-basis",
            basis,
            [marker],
            lambda acts_for, user: (
                op_audience.open_to(acts_for) and agreement_audience.open_to(acts_for)
            ),
        )
    )
