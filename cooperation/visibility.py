"""Who may see a record: the one home of the sensitivity rule.

Every agreement and operation is *public*, *partners* (any signed-in user) or *restricted*
(users who represent a partner that takes part in it or that it is shared with, plus
administrators). :class:`VisibleQuerySet` applies that rule; querysets of the rows that hang
off a record (:class:`VisibleThroughQuerySet`) defer to their parent's rule, so every page, API
response, count and summary reaches the same answer.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    PARTNERS = "partners", "Partners"
    RESTRICTED = "restricted", "Restricted"


ADMINISTRATOR_GROUP = "administrator"
OFFICER_GROUP = "officer"
ANALYST_GROUP = "analyst"


def is_administrator(user) -> bool:
    """Superusers and members of the administrator group see every record."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=ADMINISTRATOR_GROUP).exists()


def represented_partner_ids(user) -> models.QuerySet:
    """Ids of the partners a user acts for: their affiliations, and the agencies of an
    affiliated government (a government acts through its agencies)."""
    from cooperation.models import Partner

    return Partner.objects.represented_by(user).values("pk")


class VisibleQuerySet(models.QuerySet):
    """QuerySet of a record that carries ``sensitivity`` and a ``shared_with`` list.

    A model using it names ``participant_relation``: the reverse relation whose rows have a
    ``partner`` taking part in the record (agreement parties, operation participants), and
    ``participant_fields``: foreign keys to a partner that also takes part (a facilitator).
    """

    participant_relation: str = ""
    participant_fields: tuple[str, ...] = ()

    def visible_to(self, user):
        """Records ``user`` may open: the only statement of the sensitivity rule."""
        if is_administrator(user):
            return self.all()
        if not (user and user.is_authenticated and user.is_active):
            return self.filter(sensitivity=Sensitivity.PUBLIC)
        partners = represented_partner_ids(user)
        model = self.model
        participant_model = model._meta.get_field(self.participant_relation).related_model
        parent_field = model._meta.get_field(self.participant_relation).field.name
        takes_part = Exists(
            participant_model.objects.filter(**{parent_field: OuterRef("pk")}, partner__in=partners)
        )
        shared_model = model.shared_with.through
        shared = Exists(
            shared_model.objects.filter(
                **{model._meta.model_name: OuterRef("pk")}, partner__in=partners
            )
        )
        entitled = takes_part | shared
        for field in self.participant_fields:
            entitled |= Q(**{f"{field}__in": partners})
        return self.filter(
            Q(sensitivity__in=[Sensitivity.PUBLIC, Sensitivity.PARTNERS])
            | (Q(sensitivity=Sensitivity.RESTRICTED) & entitled)
        )


class VisibleThroughQuerySet(models.QuerySet):
    """QuerySet of rows that belong to a record (seizures of an operation, parties of an
    agreement): visible exactly when the record is. ``parent_field`` names the FK."""

    parent_field: str = ""

    def visible_to(self, user):
        parent_model = self.model._meta.get_field(self.parent_field).related_model
        if is_administrator(user):
            return self.all()
        return self.filter(
            **{f"{self.parent_field}__in": parent_model.objects.visible_to(user).values("pk")}
        )
