"""Every stored summary figure equals the same figure measured over the records behind it (its
drill-down list, through the list's FilterSet and ``visible_to``), for every audience, on
random records: the summaries' SQL and the lists' filters are written apart and must agree."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Value
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from agreements.models import Agreement, AgreementParty
from cooperation.models import Country, Region
from cooperation.visibility import ADMINISTRATOR_GROUP, ANALYST_GROUP, OFFICER_GROUP
from operations.models import CommunityImpactReport, JointOperation, Participation, Seizure
from operations.stats import period_bounds
from summaries import figures
from summaries.compute import PAIR_SCOPES, TOP_NEW_PAIRS, TOP_PAIRS, compute
from summaries.models import CooperationSummary
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)
COUNTRIES = ["COL", "PER", "ECU", "MEX"]
SENSITIVITY = st.sampled_from(["public", "partners", "restricted"])
# Mostly approved; records under review count in no summary.
REVIEW = st.sampled_from(["approved", "approved", "approved", "draft", "submitted", "withdrawn"])
DAY = st.dates(datetime.date(2023, 12, 1), datetime.date(2024, 6, 30))


class Stop(Exception):
    """Ends an example's transaction so that the next example starts from the same data."""


@pytest.fixture
def world(db):
    colombia = factories.GovernmentFactory(country=factories.country("COL"))
    peru = factories.GovernmentFactory(country=factories.country("PER"))
    navy = factories.AgencyFactory(parent=colombia)
    office = factories.OrganizationFactory()
    partners = [colombia, peru, navy, office]
    users = {
        "public": AnonymousUser(),
        "partners": factories.UserFactory(groups=[ANALYST_GROUP]),
        "administrators": factories.UserFactory(groups=[ADMINISTRATOR_GROUP]),
        # Officers of a government (which acts through its navy), of its navy, of Peru.
        f"partner:{colombia.pk}": factories.UserFactory(
            groups=[OFFICER_GROUP], partners=[colombia]
        ),
        f"partner:{navy.pk}": factories.UserFactory(groups=[OFFICER_GROUP], partners=[navy]),
        f"partner:{peru.pk}": factories.UserFactory(groups=[OFFICER_GROUP], partners=[peru]),
    }
    return partners, users


operation_data = st.fixed_dictionaries(
    {
        "sensitivity": SENSITIVITY,
        "review": REVIEW,
        "author": st.integers(0, 3),
        "kind": st.sampled_from(["maritime_interdiction", "intelligence_exchange"]),
        "started_on": DAY,
        "days": st.one_of(st.none(), st.integers(0, 120)),
        "status": st.sampled_from(["planned", "active", "completed", "suspended", "cancelled"]),
        "participants": st.lists(st.integers(0, 3), min_size=0, max_size=3, unique=True),
        "shared_with": st.lists(st.integers(0, 3), max_size=2, unique=True),
        "countries": st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True),
        "arrests": st.integers(0, 40),
        "hectares": st.decimals(0, 500, places=2),
        "seizures": st.lists(
            st.fixed_dictionaries(
                {
                    "substance": st.sampled_from(["cocaine", "heroin", "ecstasy"]),
                    "unit": st.sampled_from(["g", "kg", "t", "L", "units", "plants"]),
                    "mass": st.one_of(st.none(), st.decimals("0.0001", "0.5", places=4)),
                    "quantity": st.decimals("0.001", "5000", places=3),
                    "seized_on": DAY,
                    "country": st.one_of(st.none(), st.sampled_from(COUNTRIES)),
                }
            ),
            max_size=3,
        ),
        "impacts": st.lists(
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(CommunityImpactReport.Kind.values),
                    "severity": st.sampled_from(CommunityImpactReport.Severity.values),
                    "occurred_on": DAY,
                    "country": st.one_of(st.none(), st.sampled_from(COUNTRIES)),
                }
            ),
            max_size=2,
        ),
    }
)

agreement_data = st.fixed_dictionaries(
    {
        "sensitivity": SENSITIVITY,
        "review": REVIEW,
        "author": st.integers(0, 3),
        "signed_on": st.one_of(st.none(), DAY),
        "in_force_days": st.one_of(st.none(), st.integers(0, 90)),
        "expires_days": st.one_of(st.none(), st.integers(1, 400)),
        "terminated": st.booleans(),
        "parties": st.lists(st.integers(0, 3), max_size=3, unique=True),
        "shared_with": st.lists(st.integers(0, 3), max_size=2, unique=True),
        "facilitator": st.one_of(st.none(), st.integers(0, 3)),
    }
)


def make_operation(data, partners):
    started = data["started_on"]
    ended = None if data["days"] is None else started + datetime.timedelta(days=data["days"])
    status = data["status"]
    if status == "completed" and ended is None:
        ended = started
    operation = JointOperation.objects.create(
        name="Operation",
        kind_id=data["kind"],
        status=status,
        started_on=started,
        ended_on=ended,
        sensitivity=data["sensitivity"],
        review_state=data["review"],
        author_partner=partners[data["author"]],
        arrests=data["arrests"],
        hectares_eradicated=data["hectares"],
    )
    for number, index in enumerate(data["participants"]):
        Participation.objects.create(
            operation=operation,
            partner=partners[index],
            role=Participation.Role.LEAD if number == 0 else Participation.Role.PARTNER,
        )
    operation.shared_with.set([partners[i] for i in data["shared_with"]])
    operation.countries.set(data["countries"])
    for seizure in data["seizures"]:
        counted = seizure["unit"] in ("units", "plants")
        Seizure.objects.create(
            operation=operation,
            substance_id=seizure["substance"],
            unit=seizure["unit"],
            quantity=seizure["quantity"],
            mass_per_unit_kg=seizure["mass"] if counted else None,
            seized_on=seizure["seized_on"],
            country_id=seizure["country"],
        )
    for impact in data["impacts"]:
        CommunityImpactReport.objects.create(
            operation=operation,
            kind=impact["kind"],
            severity=impact["severity"],
            occurred_on=impact["occurred_on"],
            reported_on=impact["occurred_on"],
            country_id=impact["country"],
            description="Reported.",
        )


def make_agreement(data, partners):
    signed = data["signed_on"]
    in_force = (
        signed + datetime.timedelta(days=data["in_force_days"])
        if signed and data["in_force_days"] is not None
        else None
    )
    expires = (
        in_force + datetime.timedelta(days=data["expires_days"])
        if in_force and data["expires_days"] is not None
        else None
    )
    agreement = Agreement.objects.create(
        kind=Agreement.Kind.MOU,
        scope=Agreement.Scope.MULTILATERAL,
        title="Memorandum",
        sensitivity=data["sensitivity"],
        review_state=data["review"],
        author_partner=partners[data["author"]],
        signed_on=signed,
        entry_into_force_on=in_force,
        expires_on=expires,
        terminated_on=in_force + datetime.timedelta(days=20)
        if in_force and data["terminated"]
        else None,
        facilitator=None if data["facilitator"] is None else partners[data["facilitator"]],
    )
    for index in data["parties"]:
        AgreementParty.objects.create(agreement=agreement, partner=partners[index])
    agreement.shared_with.set([partners[i] for i in data["shared_with"]])


def scopes(partners):
    regions = Region.objects.filter(
        pk__in=[
            code
            for country in Country.objects.filter(iso3__in=COUNTRIES)
            for code in (country.region_id, country.subregion_id, country.intermediate_region_id)
            if code
        ]
    )
    return [
        ("global", ""),
        *[("country", code) for code in COUNTRIES],
        *[("region", region.pk) for region in regions],
        *[("partner", str(partner.pk)) for partner in partners],
    ]


def check_every_figure(granularity, start, partners, users):
    compute(granularity, start)
    stored = CooperationSummary.objects.filter(granularity=granularity, period_start=start)
    keys = {key for row in stored for key in row.metrics if not key.startswith(figures.PAIRS)}
    # Figures a wrong computation might have left out.
    keys |= {key for key, figure in figures.FIGURES.items() if figure.has_total}
    end = period_bounds(start, granularity)[1]
    sources = {
        figures.parse(key).figure.source.api: figures.parse(key).figure.source for key in keys
    }
    visible = {
        audience: {
            api: set(source.model().objects.visible_to(user).values_list("pk", flat=True))
            for api, source in sources.items()
        }
        for audience, user in users.items()
    }
    for kind, key in scopes(partners):
        shown = {
            audience: CooperationSummary.objects.visible_to(user, audience)
            .filter(granularity=granularity, period_start=start, scope_kind=kind, scope_key=key)
            .first()
            for audience, user in users.items()
        }
        for figure in keys:
            source = figures.parse(figure).figure.source
            measure = figures.parse(figure).figure.measure
            listed = source.filterset()(
                figures.filters(figure, start, end, kind, key),
                queryset=source.model().objects.all(),
            )
            assert listed.is_valid(), listed.errors
            rows = list(listed.qs.values_list("pk", measure or Value(1)))
            for audience in users:
                expected = sum(
                    (value for pk, value in rows if pk in visible[audience][source.api]), Decimal(0)
                )
                summary = shown[audience]
                stored_value = summary.figures.get(figure, 0) if summary else 0
                assert Decimal(stored_value) == expected, (figure, kind, key, audience)
        check_strongest_pairs(start, end, kind, key, shown, visible, partners)


def check_strongest_pairs(start, end, kind, key, shown, visible, partners):
    """The pairs kept are the strongest few the audience sees, each with its exact count."""
    pairs = [
        f"{figures.PAIRS}partner.{a.pk}.with.{b.pk}"
        for a in partners
        for b in partners
        if a.pk < b.pk
    ]
    source = figures.OPERATIONS

    def listed(pair, **more):
        found = source.filterset()(
            {**figures.filters(pair, start, end, kind, key), **more},
            queryset=source.model().objects.all(),
        )
        assert found.is_valid(), found.errors
        return set(found.qs.values_list("pk", flat=True))

    counted = {pair: listed(pair) for pair in pairs}
    # The same pairs' operations started before the period, whatever their scope.
    before = (start - datetime.timedelta(days=1)).isoformat()
    earlier = {
        pair: listed(pair, started_after="", started_before=before, country="", region="")
        for pair in pairs
    }
    for audience, summary in shown.items():
        kept = {k: v for k, v in (summary.figures if summary else {}).items()
                if k.startswith(figures.PAIRS)}  # fmt: skip
        if kind not in PAIR_SCOPES:
            assert kept == {}, (kind, key, audience)
            continue
        seen = visible[audience]["operation"]
        counts = {pair: len(ids & seen) for pair, ids in counted.items()}
        strongest = sorted((pair for pair, n in counts.items() if n), key=lambda p: (-counts[p], p))
        expected = {pair: counts[pair] for pair in strongest[:TOP_PAIRS]}
        # Seen for the first time: no earlier operation of the pair that this reader may open.
        first = [pair for pair in strongest if not earlier[pair] & seen]
        new = f"{figures.PAIRS}new."
        expected |= {
            pair.replace(figures.PAIRS, new, 1): counts[pair] for pair in first[:TOP_NEW_PAIRS]
        }
        assert kept == expected, (kind, key, audience)


# The suite draws the same examples on every run (a red CI means a change, not a new draw);
# SUMMARIES_FUZZ=1 draws new ones, SUMMARIES_EXAMPLES=N of them (see bench/README.md).
FUZZ = os.environ.get("SUMMARIES_FUZZ") == "1"


@settings(
    max_examples=int(os.environ.get("SUMMARIES_EXAMPLES", "15")),
    derandomize=not FUZZ,
    database=None,
    deadline=None,
    # Shrinking recomputes the whole example many times: a failure is reported as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(operation_data, max_size=5),
    agreements=st.lists(agreement_data, max_size=3),
    granularity=st.sampled_from(["month", "quarter"]),
)
def test_every_figure_is_the_sum_of_its_records(world, operations, agreements, granularity):
    partners, users = world
    try:
        with transaction.atomic():
            for data in operations:
                make_operation(data, partners)
            for data in agreements:
                make_agreement(data, partners)
            start = MARCH if granularity == "month" else datetime.date(2024, 1, 1)
            check_every_figure(granularity, start, partners, users)
            raise Stop
    except Stop:
        pass
