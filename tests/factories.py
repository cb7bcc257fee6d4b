"""factory_boy factories for every model, defined once for the whole suite."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from agreements.models import Agreement, AgreementParty
from cooperation.models import Affiliation, Country, Membership, Partner, User
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)


def country(iso3: str) -> Country:
    return Country.objects.get(iso3=iso3)


def country_without_government() -> Country:
    """The first country (by code) that has no government yet: governments are unique."""
    return Country.objects.exclude(partners__kind=Partner.Kind.GOVERNMENT).order_by("iso3").first()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        if create and names:
            self.groups.set(Group.objects.filter(name__in=names))

    @factory.post_generation
    def partners(self, create, partners, **kwargs):
        if create and partners:
            for partner in partners:
                Affiliation.objects.create(user=self, partner=partner)


class GovernmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    kind = Partner.Kind.GOVERNMENT
    country = factory.LazyFunction(country_without_government)
    name = factory.LazyAttribute(lambda p: f"Government of {p.country.name}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    kind = Partner.Kind.AGENCY
    parent = factory.SubFactory(GovernmentFactory)
    country = factory.SelfAttribute("parent.country")
    agency_type = Partner.AgencyType.POLICE
    name = factory.Sequence(lambda n: f"National Police Unit {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    kind = Partner.Kind.ORGANIZATION
    organization_type = Partner.OrganizationType.REGIONAL
    name = factory.Sequence(lambda n: f"Regional Drug Control Centre {n}")
    acronym = factory.Sequence(lambda n: f"RDCC{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    member = factory.SubFactory(GovernmentFactory)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    kind = Agreement.Kind.MOU
    scope = Agreement.Scope.MULTILATERAL
    title = factory.Sequence(lambda n: f"Memorandum on maritime cooperation no. {n}")
    sensitivity = "public"
    review_state = "approved"  # shared already, unless a test says otherwise
    signed_on = datetime.date(2015, 3, 1)
    entry_into_force_on = factory.LazyAttribute(
        lambda a: a.signed_on + datetime.timedelta(days=92) if a.signed_on else None
    )

    @factory.post_generation
    def parties(self, create, partners, **kwargs):
        """``parties=[partner, ...]`` adds each as a party."""
        if create and partners:
            for partner in partners:
                AgreementParty.objects.create(agreement=self, partner=partner)

    @factory.post_generation
    def shared_with(self, create, partners, **kwargs):
        if create and partners:
            self.shared_with.set(partners)


class AgreementPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementParty

    agreement = factory.SubFactory(AgreementFactory)
    partner = factory.SubFactory(GovernmentFactory)
    role = AgreementParty.Role.PARTY


class JointOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JointOperation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Operation Tidewater {n}")
    kind_id = "maritime_interdiction"
    status = JointOperation._meta.get_field("status").default
    started_on = datetime.date(2020, 5, 1)
    sensitivity = "public"
    review_state = "approved"  # shared already, unless a test says otherwise

    @factory.post_generation
    def participants(self, create, partners, **kwargs):
        """``participants=[partner, ...]``: the first leads, the others take part."""
        if create and partners:
            for number, partner in enumerate(partners):
                Participation.objects.create(
                    operation=self,
                    partner=partner,
                    role=Participation.Role.LEAD if number == 0 else Participation.Role.PARTNER,
                )

    @factory.post_generation
    def shared_with(self, create, partners, **kwargs):
        if create and partners:
            self.shared_with.set(partners)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    operation = factory.SubFactory(JointOperationFactory)
    partner = factory.SubFactory(GovernmentFactory)
    role = Participation.Role.PARTNER


class LegalBasisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalBasis

    operation = factory.SubFactory(JointOperationFactory)
    agreement = factory.SubFactory(AgreementFactory)


class SeizureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seizure

    operation = factory.SubFactory(JointOperationFactory)
    substance_id = "cocaine"
    quantity = Decimal("250")
    unit = "kg"
    seized_on = factory.SelfAttribute("operation.started_on")


class ImpactReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityImpactReport

    operation = factory.SubFactory(JointOperationFactory)
    kind = CommunityImpactReport.Kind.COMMUNITY_ENGAGEMENT
    severity = CommunityImpactReport.Severity.LOW
    occurred_on = factory.SelfAttribute("operation.started_on")
    reported_on = factory.SelfAttribute("operation.started_on")
    description = "Village meeting held before the operation."


class JournalEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JournalEntry

    operation = factory.SubFactory(JointOperationFactory)
    kind = JournalEntry.Kind.SITUATION_REPORT
    title = "Day one"
    body = "Units in position."
    author = factory.SubFactory(UserFactory)
