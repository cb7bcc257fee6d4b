"""The community-impact list's parameters: each keeps exactly the reports it names."""

from __future__ import annotations

import datetime

from operations.filters import ImpactReportFilterSet
from operations.models import CommunityImpactReport
from tests import factories
from tests.filters import errors, filtered

D = datetime.date


def reports(params):
    return set(filtered(ImpactReportFilterSet, params))


def test_operation_keeps_the_reports_of_the_operations_named(db):
    operation = factories.JointOperationFactory()
    report = factories.ImpactReportFactory(operation=operation)
    factories.ImpactReportFactory()

    assert reports({"operation": operation.pk}) == {report}


def test_kind_keeps_reports_of_the_kinds_named(db):
    harm = factories.ImpactReportFactory(kind="civilian_harm")
    displacement = factories.ImpactReportFactory(kind="displacement")
    factories.ImpactReportFactory(kind="community_engagement")

    assert reports({"kind": "civilian_harm,displacement"}) == {harm, displacement}


def test_an_unknown_kind_is_an_error(db):
    assert "kind" in errors(ImpactReportFilterSet, {"kind": "noise"})


def test_severity_keeps_reports_of_the_severities_named(db):
    high = factories.ImpactReportFactory(severity="high")
    critical = factories.ImpactReportFactory(severity="critical")
    factories.ImpactReportFactory(severity="low")

    assert reports({"severity": ["high", "critical"]}) == {high, critical}


def test_an_unknown_severity_is_an_error(db):
    assert "severity" in errors(ImpactReportFilterSet, {"severity": "severe"})


def test_follow_up_status_keeps_reports_whose_follow_up_is_in_that_state(db):
    still_open = factories.ImpactReportFactory(follow_up_status="open")
    factories.ImpactReportFactory(follow_up_status="closed")

    assert reports({"follow_up_status": "open"}) == {still_open}


def test_an_unknown_follow_up_status_is_an_error(db):
    assert "follow_up_status" in errors(ImpactReportFilterSet, {"follow_up_status": "done"})


def test_country_keeps_reports_of_what_happened_in_that_country(db):
    colombian = factories.ImpactReportFactory(country=factories.country("COL"))
    factories.ImpactReportFactory(country=factories.country("PER"))
    factories.ImpactReportFactory(country=None)

    assert reports({"country": "COL"}) == {colombian}


def test_region_keeps_reports_of_what_happened_in_a_country_of_that_region(db):
    colombian = factories.ImpactReportFactory(country=factories.country("COL"))
    factories.ImpactReportFactory(country=factories.country("MEX"))

    assert reports({"region": "005"}) == {colombian}


def test_occurred_after_and_before_keep_reports_of_what_happened_in_the_range(db):
    operation = factories.JointOperationFactory(started_on=D(2020, 1, 1))
    early = factories.ImpactReportFactory(
        operation=operation, occurred_on=D(2020, 1, 10), reported_on=D(2020, 2, 1)
    )
    late = factories.ImpactReportFactory(
        operation=operation, occurred_on=D(2020, 3, 10), reported_on=D(2020, 3, 11)
    )

    assert reports({"occurred_after": "2020-02-01"}) == {late}
    assert reports({"occurred_before": "2020-01-10"}) == {early}


def test_an_occurrence_date_that_is_not_an_iso_day_is_an_error(db):
    assert "occurred_before" in errors(ImpactReportFilterSet, {"occurred_before": "March"})


def test_updated_since_keeps_reports_changed_at_or_after_that_moment(db):
    stale = factories.ImpactReportFactory()
    fresh = factories.ImpactReportFactory()
    CommunityImpactReport.objects.filter(pk=stale.pk).update(
        updated_at=datetime.datetime(2023, 12, 31, 23, 0, tzinfo=datetime.UTC)
    )
    CommunityImpactReport.objects.filter(pk=fresh.pk).update(
        updated_at=datetime.datetime(2024, 1, 1, 0, 30, tzinfo=datetime.UTC)
    )

    assert reports({"updated_since": "2024-01-01T00:00:00+00:00"}) == {fresh}


def test_ordering_sorts_reports_by_the_fields_named(db):
    operation = factories.JointOperationFactory(started_on=D(2020, 1, 1))
    later = factories.ImpactReportFactory(
        operation=operation, occurred_on=D(2020, 2, 1), reported_on=D(2020, 2, 2)
    )
    earlier = factories.ImpactReportFactory(
        operation=operation, occurred_on=D(2020, 1, 5), reported_on=D(2020, 3, 1)
    )

    assert filtered(ImpactReportFilterSet, {"ordering": "occurred_on"}) == [earlier, later]
    assert filtered(ImpactReportFilterSet, {"ordering": "-reported_on"}) == [earlier, later]


def test_an_unknown_ordering_is_an_error(db):
    assert "ordering" in errors(ImpactReportFilterSet, {"ordering": "severity"})


def test_partner_keeps_reports_of_operations_the_partner_takes_part_in(db, cast):
    ours = factories.ImpactReportFactory(
        operation=factories.JointOperationFactory(participants=[cast.peru, cast.colombia])
    )
    factories.ImpactReportFactory(
        operation=factories.JointOperationFactory(participants=[cast.peru])
    )

    assert reports({"partner": cast.colombia.pk}) == {ours}
    assert "partner" in errors(ImpactReportFilterSet, {"partner": "Colombia"})
