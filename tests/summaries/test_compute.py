"""Computing, storing and reading summaries: idempotent runs, stale rows removed, audiences
that never count a record their reader could not open, the backfill command and the
schedule."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from cooperation.celery import app
from operations.models import JointOperation
from summaries.compute import TOP_NEW_PAIRS, compute, periods, previous_period
from summaries.models import CooperationSummary, PairWitness, SummaryRun, audiences_for
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)


def snapshot(user, start=MARCH, granularity="month"):
    """What ``user`` reads of a period's summaries, keyed by scope."""
    return {
        (row.scope_kind, row.scope_key): row.figures
        for row in CooperationSummary.objects.visible_to(user).filter(
            granularity=granularity, period_start=start
        )
    }


@pytest.fixture
def records(cast):
    operation = factories.JointOperationFactory(
        started_on=MARCH + datetime.timedelta(days=4),
        participants=[cast.colombia, cast.peru],
        arrests=7,
    )
    operation.countries.set(["COL"])
    factories.SeizureFactory(
        operation=operation, quantity=Decimal("2.5"), unit="t", country_id="COL"
    )
    factories.SeizureFactory(
        operation=operation, substance_id="ecstasy", quantity=400, unit="units", country_id="PER"
    )
    factories.ImpactReportFactory(operation=operation, country_id="COL")
    factories.AgreementFactory(
        signed_on=MARCH, parties=[cast.colombia, cast.peru], sensitivity="partners"
    )
    return operation


def test_the_figures_of_a_month(cast, records):
    compute("month", MARCH)
    public = snapshot(cast.anonymous)
    assert public[("global", "")]["operations.started"] == 1
    assert public[("global", "")]["outcomes.arrests"] == 7
    assert public[("global", "")]["seizures.kg"] == Decimal("2500")
    assert public[("global", "")]["seizures.kg.group.cocaine_type"] == Decimal("2500")
    assert public[("global", "")]["seizures.unconverted.substance.ecstasy.unit.units"] == 400
    assert public[("country", "COL")]["seizures.kg"] == Decimal("2500")
    assert "seizures.kg" not in public[("country", "PER")]
    assert public[("country", "PER")]["seizures.count"] == 1
    assert public[("region", "005")]["operations.started"] == 1  # South America
    assert public[("partner", str(cast.peru.pk))]["impact_reports.count"] == 1
    # The agreement is partners-level: counted for signed-in readers only.
    assert "agreements.signed" not in public[("global", "")]
    assert snapshot(cast.analyst)[("global", "")]["agreements.signed"] == 1


def test_running_again_changes_no_figure_and_keeps_the_rows(cast, records):
    compute("month", MARCH)
    first = {
        row.pk: (row.scope_kind, row.scope_key, row.audience, row.metrics, row.computed_at)
        for row in CooperationSummary.objects.all()
    }
    compute("month", MARCH)
    again = {
        row.pk: (row.scope_kind, row.scope_key, row.audience, row.metrics, row.computed_at)
        for row in CooperationSummary.objects.all()
    }
    assert again.keys() == first.keys()
    assert {pk: row[:4] for pk, row in again.items()} == {pk: row[:4] for pk, row in first.items()}
    assert all(again[pk][4] > first[pk][4] for pk in first)
    assert SummaryRun.objects.count() == 2


def test_a_scope_left_without_records_loses_its_row(cast, records):
    compute("month", MARCH)
    assert ("country", "COL") in snapshot(cast.anonymous)
    records.countries.clear()
    records.seizures.update(country=None)
    records.impact_reports.update(country=None)
    compute("month", MARCH)
    assert ("country", "COL") not in snapshot(cast.anonymous)
    assert snapshot(cast.anonymous)[("global", "")]["operations.started"] == 1


@pytest.mark.parametrize("runs", [1, 2, 3])
def test_an_empty_period_still_has_global_rows(cast, runs):
    """However many times it is computed: a second run once removed the rows the first had
    seeded (they kept the first run's stamp, and a run removes rows it did not stamp)."""
    for _ in range(runs):
        compute("year", datetime.date(2001, 1, 1))
    for user in (cast.anonymous, cast.analyst, cast.administrator):
        assert snapshot(user, datetime.date(2001, 1, 1), "year") == {
            ("global", ""): {"operations.started": 0}
        }


def test_a_hidden_record_changes_no_summary_its_outsiders_read(cast, records):
    compute("month", MARCH)
    outsiders = (cast.anonymous, cast.analyst, cast.outsider)
    before = {user.pk: snapshot(user) for user in outsiders}
    entitled_before = snapshot(cast.officer)
    hidden = factories.JointOperationFactory(
        started_on=MARCH, participants=[cast.colombian_navy], sensitivity="restricted", arrests=3
    )
    hidden.countries.set(["PER"])
    factories.SeizureFactory(operation=hidden, quantity=1000, unit="kg", country_id="PER")
    compute("month", MARCH)
    for user in outsiders:
        assert snapshot(user) == before[user.pk], user
    # Colombia's officer acts through its navy: the record counts for them, and administrators.
    entitled = snapshot(cast.officer)
    assert entitled != entitled_before
    assert entitled[("country", "PER")]["seizures.kg"] == Decimal("1000")
    assert entitled[("global", "")]["outcomes.arrests"] == 10
    assert snapshot(cast.administrator)[("global", "")]["outcomes.arrests"] == 10


def test_a_partner_reads_the_partners_row_where_it_has_no_restricted_record(cast, records):
    factories.JointOperationFactory(
        started_on=MARCH, participants=[cast.colombia], sensitivity="restricted"
    )
    compute("month", MARCH)
    mine = f"partner:{cast.colombia.pk}"
    assert CooperationSummary.objects.filter(audience=mine, scope_kind="global").exists()
    assert not CooperationSummary.objects.filter(audience=mine, scope_key="PER").exists()
    rows = CooperationSummary.objects.visible_to(cast.officer).filter(scope_kind="country")
    assert {(row.scope_key, row.audience) for row in rows} == {
        ("COL", "partners"),
        ("PER", "partners"),
    }
    assert snapshot(cast.officer)[("global", "")]["operations.started"] == 2


def test_who_reads_which_audience(cast):
    assert audiences_for(cast.anonymous) == ["public"]
    assert audiences_for(cast.analyst) == ["partners", "public"]
    navy, colombia = cast.colombian_navy.pk, cast.colombia.pk
    # The government first (the officer's affiliation), then the navy it acts through.
    assert audiences_for(cast.officer) == [
        f"partner:{colombia}",
        f"partner:{navy}",
        "partners",
        "public",
    ]
    assert audiences_for(cast.administrator)[0] == "administrators"
    # An audience one may not read gives nothing, not someone else's figures.
    compute("month", MARCH)
    assert not CooperationSummary.objects.visible_to(cast.outsider, "administrators").exists()
    assert not CooperationSummary.objects.visible_to(cast.outsider, f"partner:{colombia}").exists()
    assert CooperationSummary.objects.visible_to(cast.administrator, "public").exists()


def test_a_period_must_start_on_its_first_day():
    with pytest.raises(ValueError, match="does not start a quarter"):
        compute("quarter", datetime.date(2024, 2, 1))
    with pytest.raises(ValueError, match="unknown granularity"):
        compute("week", MARCH)


def test_periods_and_the_period_just_ended():
    assert list(periods("quarter", datetime.date(2023, 11, 1), datetime.date(2024, 4, 1))) == [
        datetime.date(2023, 10, 1),
        datetime.date(2024, 1, 1),
        datetime.date(2024, 4, 1),
    ]
    today = datetime.date(2026, 11, 28)
    assert previous_period("month", today) == datetime.date(2026, 10, 1)
    assert previous_period("quarter", today) == datetime.date(2026, 7, 1)
    assert previous_period("year", today) == datetime.date(2025, 1, 1)


def test_the_backfill_command_computes_every_period(cast, records):
    out, err = io.StringIO(), io.StringIO()
    call_command("summaries", "--from", "2024-01", "--to", "2024-04", stdout=out, stderr=err)
    assert "Computed 7 periods (month, quarter, year)" in out.getvalue()
    assert "100%" in err.getvalue()  # the progress bar
    assert set(
        CooperationSummary.objects.values_list("granularity", "period_start").distinct()
    ) == {
        ("month", datetime.date(2024, 1, 1)),
        ("month", datetime.date(2024, 2, 1)),
        ("month", MARCH),
        ("month", datetime.date(2024, 4, 1)),
        ("quarter", datetime.date(2024, 1, 1)),
        ("quarter", datetime.date(2024, 4, 1)),
        ("year", datetime.date(2024, 1, 1)),
    }
    quarter = snapshot(cast.anonymous, datetime.date(2024, 1, 1), "quarter")[("global", "")]
    assert quarter["operations.started"] == 1
    assert quarter["seizures.kg"] == Decimal("2500")
    april = snapshot(cast.anonymous, datetime.date(2024, 4, 1))[("global", "")]
    assert "operations.started.kind.maritime_interdiction" not in april


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2024-13", "--to", "2024-12"], "is not a month"),
        (["--from", "2024", "--to", "2024-12"], "is not a month"),
        (["--from", "2024-05", "--to", "2024-01"], "comes after"),
        (["--from", "2024-01", "--to", "2024-02", "--jobs", "0"], "--jobs must be 1 or more"),
    ],
)
def test_the_backfill_command_refuses_bad_months(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("summaries", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    assert not CooperationSummary.objects.exists()


def test_the_schedule_names_registered_tasks_and_runs_on_the_first():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
    monthly = settings.CELERY_BEAT_SCHEDULE["summaries-monthly"]["schedule"]
    assert monthly.day_of_month == {1}
    assert monthly.hour == {1}
    nightly = settings.CELERY_BEAT_SCHEDULE["summaries-month-to-date"]["schedule"]
    assert len(nightly.day_of_month) == 31


def test_an_officer_reads_their_affiliation_before_the_agencies_it_acts_through(cast):
    agency = factories.AgencyFactory(parent=cast.peru)  # an older id than the government below
    government = factories.GovernmentFactory(country=factories.country("ECU"))
    agency.parent, agency.country = government, government.country
    agency.save()
    officer = factories.UserFactory(groups=["officer"], partners=[government])
    assert agency.pk < government.pk
    assert audiences_for(officer)[:2] == [f"partner:{government.pk}", f"partner:{agency.pk}"]


def test_the_strongest_pairs_are_kept_with_what_each_reader_sees(cast):
    partners = [cast.colombia, cast.peru, *(factories.GovernmentFactory() for _ in range(3))]
    colombia, peru, a, b, c = partners

    def together(*members, times=1, **kwargs):
        for _ in range(times):
            factories.JointOperationFactory(started_on=MARCH, participants=members, **kwargs)

    together(a, b, times=4)
    together(a, c, times=3)
    together(b, c, times=2)
    together(colombia, a)
    together(peru, b)
    together(colombia, c)  # the sixth pair: not among the five strongest for the public
    # Three restricted operations of Colombia with Peru make that pair its strongest.
    together(colombia, peru, times=3, sensitivity="restricted")
    compute("month", MARCH)

    def pair(x, y):
        first, second = sorted([x.pk, y.pk])
        return f"pairs.partner.{first}.with.{second}"

    public = snapshot(cast.anonymous)[("global", "")]
    assert {k: v for k, v in public.items() if k.startswith("pairs.partner.")} == {
        pair(a, b): 4,
        pair(a, c): 3,
        pair(b, c): 2,
        **dict(sorted({pair(colombia, a): 1, pair(peru, b): 1, pair(colombia, c): 1}.items())[:2]),
    }
    officer = snapshot(cast.officer)[("global", "")]
    assert {k: v for k, v in officer.items() if k.startswith("pairs.partner.")} == {
        pair(a, b): 4,
        pair(a, c): 3,
        pair(colombia, peru): 3,
        pair(b, c): 2,
        **dict(sorted({pair(colombia, a): 1, pair(peru, b): 1, pair(colombia, c): 1}.items())[:1]),
    }
    # Peru takes part too: its officer sees the pair; an analyst does not.
    assert snapshot(cast.outsider)[("global", "")][pair(colombia, peru)] == 3
    assert pair(colombia, peru) not in snapshot(cast.analyst)[("global", "")]
    # Countries and partners keep no pairs.
    assert not any(k.startswith("pairs.") for k in snapshot(cast.officer)[("partner", str(a.pk))])


def test_partnerships_seen_for_the_first_time_by_each_reader(cast):
    a, b, c = (factories.GovernmentFactory() for _ in range(3))
    colombia, peru = cast.colombia, cast.peru
    february = MARCH - datetime.timedelta(days=10)

    def together(*members, on=MARCH, **kwargs):
        factories.JointOperationFactory(started_on=on, participants=members, **kwargs)

    together(a, b, on=february)  # public before: new to nobody
    together(a, b)
    together(b, c, on=february, sensitivity="partners")  # new only to the public
    together(b, c)
    together(colombia, a, on=february, sensitivity="restricted")  # Colombia's officer saw it
    together(colombia, a)
    together(colombia, a)
    together(colombia, peru, sensitivity="restricted")  # seen first now, by those involved
    compute("month", MARCH)

    def new(x, y):
        first, second = sorted([x.pk, y.pk])
        return f"pairs.new.partner.{first}.with.{second}"

    def first_seen(user):
        figures = snapshot(user)[("global", "")]
        return {k: v for k, v in figures.items() if k.startswith("pairs.new.")}

    assert first_seen(cast.anonymous) == {new(b, c): 1, new(colombia, a): 2}
    assert first_seen(cast.analyst) == {new(colombia, a): 2}
    assert first_seen(cast.officer) == {new(colombia, peru): 1}
    assert first_seen(cast.outsider) == {new(colombia, a): 2, new(colombia, peru): 1}
    assert first_seen(cast.administrator) == {new(colombia, peru): 1}
    # Only in the global scope.
    assert not any(k.startswith("pairs.") for k in snapshot(cast.officer)[("partner", str(a.pk))])


def test_a_partner_ranks_more_new_pairs_than_it_keeps_by_what_it_sees(cast):
    """Twenty pairs new to everyone, more than a row keeps: Colombia's officer also sees
    restricted work shared with Colombia, which lifts one pair above the others and hid two
    of them before; its row keeps the strongest of those it sees, as counted from the
    records — reaching past the first ten of the partners row."""
    a = factories.GovernmentFactory()
    others = [factories.GovernmentFactory() for _ in range(20)]
    for other in others:
        factories.JointOperationFactory(started_on=MARCH, participants=[a, other])
    # Equal counts rank by key: the first two pairs were seen before, the last is lifted.
    first, second, *_, lifted = sorted(others, key=lambda other: f"{a.pk}.with.{other.pk}")
    shared = {"sensitivity": "restricted", "shared_with": [cast.colombia]}
    factories.JointOperationFactory(started_on=MARCH, participants=[a, lifted], **shared)
    for hidden in (first, second):
        factories.JointOperationFactory(
            started_on=MARCH - datetime.timedelta(days=5), participants=[a, hidden], **shared
        )
    compute("month", MARCH)

    def pairs_of(operations):
        counts = {}
        for operation in operations:
            ids = sorted(operation.participations.values_list("partner_id", flat=True))
            for i, x in enumerate(ids):
                for y in ids[i + 1 :]:
                    key = f"partner.{x}.with.{y}"
                    counts[key] = counts.get(key, 0) + 1
        return counts

    for user in (cast.officer, cast.analyst, cast.anonymous):
        seen = JointOperation.objects.visible_to(user).filter(review_state="approved")
        now = pairs_of(seen.filter(started_on__gte=MARCH, started_on__lt=MARCH.replace(month=4)))
        before = pairs_of(seen.filter(started_on__lt=MARCH))
        ranked = sorted((p for p in now if p not in before), key=lambda p: (-now[p], p))
        expected = {f"pairs.new.{p}": now[p] for p in ranked[:TOP_NEW_PAIRS]}
        kept = snapshot(user)[("global", "")]
        assert {k: v for k, v in kept.items() if k.startswith("pairs.new.")} == expected, user
    officers = snapshot(cast.officer)[("global", "")]
    analysts = snapshot(cast.analyst)[("global", "")]
    assert officers[f"pairs.new.partner.{a.pk}.with.{lifted.pk}"] == 2
    for hidden in (first, second):
        assert f"pairs.new.partner.{a.pk}.with.{hidden.pk}" not in officers
        assert f"pairs.new.partner.{a.pk}.with.{hidden.pk}" in analysts


def test_a_pair_witness_is_checked_before_it_is_trusted(cast):
    """The public operation kept as a pair's witness (that the pair was seen before) proves
    nothing once it is no longer public, names another pair's operation or started after the
    period began: the pair is then new to the public, as its records say."""
    a, b, c = sorted((factories.GovernmentFactory() for _ in range(3)), key=lambda p: p.pk)
    january = MARCH - datetime.timedelta(days=50)
    earlier = factories.JointOperationFactory(started_on=january, participants=[a, b])
    factories.JointOperationFactory(started_on=MARCH, participants=[a, b])
    pair = f"pairs.new.partner.{a.pk}.with.{b.pk}"

    def new_to_the_public():
        compute("month", MARCH)
        return pair in snapshot(cast.anonymous)[("global", "")]

    def witness():
        return PairWitness.objects.get(partner_a=a.pk, partner_b=b.pk).operation_id

    assert not new_to_the_public()
    assert witness() == earlier.pk
    assert not new_to_the_public()  # the witness checked, and still true

    earlier.sensitivity = "partners"
    earlier.save()
    assert new_to_the_public()
    earlier.sensitivity = "public"
    earlier.save()
    someone_else = factories.JointOperationFactory(started_on=january, participants=[a, c])
    later = factories.JointOperationFactory(
        started_on=MARCH + datetime.timedelta(days=40), participants=[a, b]
    )
    for wrong in (someone_else, later, 10**12):
        earlier.participations.filter(partner=b).delete()
        PairWitness.objects.filter(partner_a=a.pk).update(operation_id=getattr(wrong, "pk", wrong))
        assert new_to_the_public(), wrong
        factories.ParticipationFactory(operation=earlier, partner=b)
    assert not new_to_the_public()  # found again by looking, and kept as the witness
    assert witness() == earlier.pk


def test_a_long_backfill_first_finds_each_pairs_earliest_public_operation(cast):
    """Twelve periods or more: every pair's earliest approved public operation is kept as its
    witness before the periods are computed, and the figures are those of periods computed
    one by one with no witness to start from."""
    a, b, c = sorted((factories.GovernmentFactory() for _ in range(3)), key=lambda p: p.pk)
    june = datetime.date(2023, 6, 10)
    factories.JointOperationFactory(started_on=june, participants=[a, b], sensitivity="restricted")
    earliest = factories.JointOperationFactory(started_on=june, participants=[a, b, c])
    factories.JointOperationFactory(started_on=june.replace(month=9), participants=[a, b])
    factories.JointOperationFactory(
        started_on=june.replace(month=1), participants=[b, c], review_state="submitted"
    )
    factories.JointOperationFactory(started_on=MARCH, participants=[b, c])
    months = list(periods("month", datetime.date(2023, 4, 1), MARCH))

    def figures():
        return {m: (snapshot(cast.administrator, m), snapshot(cast.anonymous, m)) for m in months}

    for month in months:
        compute("month", month)
    one_by_one = figures()
    CooperationSummary.objects.all().delete()
    PairWitness.objects.all().delete()

    out = io.StringIO()
    call_command(
        "summaries", "--from", "2023-04", "--to", "2024-03", "--granularity", "month",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "earliest public operation of 3 partner pairs" in out.getvalue()
    assert figures() == one_by_one
    assert one_by_one[MARCH][1][("global", "")]["operations.started"] == 1
    # The submitted operation of January is not approved: b and c met publicly in June.
    assert {(w.partner_a, w.partner_b): w.operation_id for w in PairWitness.objects.all()} == {
        (a.pk, b.pk): earliest.pk,
        (a.pk, c.pk): earliest.pk,
        (b.pk, c.pk): earliest.pk,
    }
