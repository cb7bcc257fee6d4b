"""The Django admin: every model is there, each page opens, and record lists honour
visibility."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from agreements.models import Agreement, AgreementParty
from summaries.compute import compute
from tests import factories

PROJECT_APPS = ("cooperation", "agreements", "operations", "summaries")


def project_models():
    return [
        model
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.auto_created
    ]


def test_every_model_of_the_project_is_in_the_admin():
    missing = [m.__name__ for m in project_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.fixture
def records(cast):
    agreement = factories.AgreementFactory(parties=[cast.colombia, cast.peru])
    operation = factories.JointOperationFactory(participants=[cast.colombia, cast.peru])
    factories.SeizureFactory(operation=operation)
    factories.ImpactReportFactory(operation=operation)
    factories.JournalEntryFactory(operation=operation, author=cast.officer)
    factories.LegalBasisFactory(operation=operation, agreement=agreement)
    factories.MembershipFactory(member=cast.peru)
    compute("month", operation.started_on.replace(day=1))
    return agreement, operation


@pytest.mark.django_db
@pytest.mark.parametrize("model", project_models(), ids=lambda m: m._meta.label)
def test_each_list_and_detail_page_opens_for_an_administrator(client, cast, records, model):
    client.force_login(cast.administrator)
    info = (model._meta.app_label, model._meta.model_name)
    listing = client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert listing.status_code == 200
    row = model._default_manager.first()
    if row is not None:
        change = client.get(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
        assert change.status_code == 200


@pytest.mark.django_db
def test_the_admin_is_for_administrators_only_not_any_staff_member(client, cast):
    """A staff flag on an officer's account opens nothing: the door is the administrator
    group, as for every record."""
    hidden = factories.AgreementFactory(title="Peru only", sensitivity="restricted")
    AgreementParty.objects.create(agreement=hidden, partner=cast.peru)
    cast.officer.is_staff = True
    cast.officer.save()
    client.force_login(cast.officer)
    for url in (
        reverse("admin:index"),
        reverse("admin:agreements_agreement_changelist"),
        reverse("admin:agreements_agreement_change", args=[hidden.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("admin:login"))
    client.force_login(cast.administrator)
    assert "Peru only" in client.get(reverse("admin:agreements_agreement_changelist")).text


@pytest.mark.django_db
def test_the_admin_refuses_a_bilateral_agreement_with_one_party(client, cast):
    client.force_login(cast.administrator)
    before = Agreement.objects.count()
    response = client.post(
        reverse("admin:agreements_agreement_add"),
        {
            "kind": "mou",
            "scope": "bilateral",
            "title": "Half a deal",
            "sensitivity": "public",
            "parties-TOTAL_FORMS": "1",
            "parties-INITIAL_FORMS": "0",
            "parties-0-partner": cast.colombia.pk,
            "parties-0-role": "party",
        },
    )
    assert response.status_code == 200
    assert "exactly two parties; this one has 1" in response.text
    assert Agreement.objects.count() == before


@pytest.mark.django_db
def test_the_admin_records_who_created_a_record(client, cast):
    client.force_login(cast.administrator)
    response = client.post(
        reverse("admin:agreements_agreement_add"),
        {
            "kind": "mou",
            "scope": "bilateral",
            "title": "Whole deal",
            "sensitivity": "public",
            "parties-TOTAL_FORMS": "2",
            "parties-INITIAL_FORMS": "0",
            "parties-0-partner": cast.colombia.pk,
            "parties-0-role": "party",
            "parties-1-partner": cast.peru.pk,
            "parties-1-role": "party",
        },
    )
    assert response.status_code == 302, response.text
    agreement = Agreement.objects.get(title="Whole deal")
    assert agreement.created_by == cast.administrator
    assert {p.created_by for p in agreement.parties.all()} == {cast.administrator}
