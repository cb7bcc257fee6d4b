"""An agreement's status is derived from its dates, the same way in Python and in SQL."""

from __future__ import annotations

import datetime

import pytest

from agreements.models import Agreement, AgreementStatus
from tests import factories

D = datetime.date
ON = D(2020, 6, 15)

# (dates, status on ON)
CASES = [
    ({}, "negotiating"),
    ({"adopted_on": D(2020, 1, 1)}, "negotiating"),
    ({"signed_on": D(2020, 7, 1)}, "negotiating"),
    ({"signed_on": D(2020, 6, 15)}, "signed"),
    ({"signed_on": D(2020, 1, 1), "entry_into_force_on": D(2020, 9, 1)}, "signed"),
    ({"signed_on": D(2020, 1, 1), "entry_into_force_on": D(2020, 6, 15)}, "in_force"),
    (
        {"signed_on": D(2019, 1, 1), "entry_into_force_on": D(2019, 2, 1), "expires_on": ON},
        "in_force",  # the last day of an agreement is still a day in force
    ),
    (
        {
            "signed_on": D(2019, 1, 1),
            "entry_into_force_on": D(2019, 2, 1),
            "expires_on": D(2020, 6, 14),
        },
        "expired",
    ),
    (
        {
            "signed_on": D(2019, 1, 1),
            "entry_into_force_on": D(2019, 2, 1),
            "suspended_on": D(2020, 3, 1),
        },
        "suspended",
    ),
    (
        {
            "signed_on": D(2019, 1, 1),
            "entry_into_force_on": D(2019, 2, 1),
            "suspended_on": D(2020, 3, 1),
            "expires_on": D(2020, 5, 1),
        },
        "expired",
    ),
    (
        {
            "signed_on": D(2019, 1, 1),
            "entry_into_force_on": D(2019, 2, 1),
            "terminated_on": D(2020, 6, 1),
            "expires_on": D(2020, 5, 1),
        },
        "terminated",
    ),
    ({"signed_on": D(2019, 1, 1), "terminated_on": D(2020, 7, 1)}, "signed"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("dates", "status"), CASES)
def test_the_status_follows_the_dates(dates, status):
    fields = {"signed_on": None, "entry_into_force_on": None, **dates}
    agreement = factories.AgreementFactory(**fields)
    assert agreement.status_on(ON) == status
    annotated = Agreement.objects.with_status(ON).get(pk=agreement.pk)
    assert annotated.lifecycle_status == status
    assert annotated.status == status
    assert Agreement.objects.with_status_in([status], ON).filter(pk=agreement.pk).exists()


@pytest.mark.django_db
def test_python_and_sql_agree_on_every_day_of_a_lifecycle():
    agreement = factories.AgreementFactory(
        adopted_on=D(2019, 12, 1),
        signed_on=D(2020, 1, 10),
        entry_into_force_on=D(2020, 2, 1),
        suspended_on=D(2020, 3, 1),
        expires_on=D(2020, 4, 1),
    )
    for day in (D(2019, 12, 31) + datetime.timedelta(days=n) for n in range(120)):
        sql = Agreement.objects.with_status(day).get(pk=agreement.pk).lifecycle_status
        assert sql == agreement.status_on(day), day


@pytest.mark.django_db
def test_in_force_and_expiring_within_select_by_date():
    lasting = factories.AgreementFactory(signed_on=D(2010, 1, 1), entry_into_force_on=D(2010, 1, 1))
    ending = factories.AgreementFactory(
        signed_on=D(2010, 1, 1), entry_into_force_on=D(2010, 1, 1), expires_on=D(2020, 9, 1)
    )
    pending = factories.AgreementFactory(signed_on=D(2020, 1, 1), entry_into_force_on=None)
    assert set(Agreement.objects.in_force(ON)) == {lasting, ending}
    assert list(Agreement.objects.expiring_within(180, ON)) == [ending]
    assert list(Agreement.objects.expiring_within(30, ON)) == []
    assert pending.status_on(ON) == AgreementStatus.SIGNED


def test_every_status_is_reachable():
    reached = {status for _, status in CASES}
    assert reached == set(AgreementStatus.values)
