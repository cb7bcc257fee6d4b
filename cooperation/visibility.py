"""Who may see a record: the one home of the sensitivity rule.

Every agreement and operation is *public*, *partners* (any signed-in user) or *restricted*
(users who represent a partner that takes part in it or that it is shared with, plus
administrators). :class:`VisibleQuerySet` applies that rule; querysets of the rows that hang
off a record (:class:`VisibleThroughQuerySet`) defer to their parent's rule, so every page, API
response, count and summary reaches the same answer.
"""

from __future__ import annotations

import functools

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    PARTNERS = "partners", "Partners"
    RESTRICTED = "restricted", "Restricted"


class ReviewState(models.TextChoices):
    """Where an agreement or operation is in its review before sharing. Only approved
    records reach anyone beyond the partner that wrote them (and administrators)."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved"
    WITHDRAWN = "withdrawn", "Withdrawn"


ADMINISTRATOR_GROUP = "administrator"
OFFICER_GROUP = "officer"
ANALYST_GROUP = "analyst"


def is_administrator(user) -> bool:
    """Superusers and members of the administrator group see every record."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=ADMINISTRATOR_GROUP).exists()


MEMO = "_visibility_memo"


def viewer(user) -> tuple[bool, list[int]]:
    """Whether ``user`` administers, and the partners they act for (those they are affiliated
    with first): remembered for the length of one request when the view asked for it
    (:func:`remember_viewer`), else read now."""
    memo = getattr(user, MEMO, None)
    if memo is not None:
        return memo
    return _read_viewer(user)


def viewer_query(user):
    """:func:`is_administrator` and :func:`represented_partner_ids` of a signed-in ``user``
    in one statement: ``(administers, partner_ids)``, the affiliations first."""
    from django.contrib.auth import get_user_model
    from django.contrib.postgres.expressions import ArraySubquery

    from cooperation.models import Affiliation, Partner

    affiliated = Exists(Affiliation.objects.filter(user_id=user.pk, partner=OuterRef("pk")))
    return (
        get_user_model()
        ._base_manager.filter(pk=user.pk)
        .annotate(
            administers=Exists(
                user.groups.model.objects.filter(user=OuterRef("pk"), name=ADMINISTRATOR_GROUP)
            ),
            # The partners the user is affiliated with first, then those acting through them.
            partner_ids=ArraySubquery(
                Partner.objects.represented_by(user).order_by(affiliated.desc(), "pk").values("pk")
            ),
        )
        .values_list("administers", "partner_ids")
    )


_STAND_IN = -7_340_119  # a user id nobody has: finds the user's parameters in the statement


@functools.cache
def _viewer_statement() -> tuple[str, list, list[int]]:
    """:func:`viewer_query` compiled once: building it costs more than running it, and it
    runs at the start of every request."""
    from django.contrib.auth import get_user_model

    stand_in = get_user_model()(pk=_STAND_IN, is_active=True)
    sql, params = viewer_query(stand_in).query.sql_with_params()
    positions = [i for i, value in enumerate(params) if value == _STAND_IN]
    return sql, list(params), positions


def _read_viewer(user) -> tuple[bool, list[int]]:
    if not (user and user.is_authenticated and user.is_active):
        return False, []
    from django.db import connection

    sql, params, positions = _viewer_statement()
    params = list(params)
    for position in positions:
        params[position] = user.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise type(user).DoesNotExist(f"No user {user.pk}.")
    administers, partners = row
    return user.is_superuser or administers, list(partners or [])


def remember_viewer(user) -> None:
    """Read the user's role and partners once for the request about to be served (one request
    builds several visibility-filtered querysets). :func:`forget_viewer` ends it."""
    if user is not None and user.is_authenticated:
        setattr(user, MEMO, _read_viewer(user))


def forget_viewer(user) -> None:
    if user is not None and hasattr(user, MEMO):
        delattr(user, MEMO)


def visibility_key(user) -> tuple:
    """What decides which rows ``user`` may open, as a hashable value: two users with the
    same key see the same rows (for caches of statements built for a reader)."""
    if not (user and user.is_authenticated and user.is_active):
        return ("anonymous",)
    administrator, partners = viewer(user)
    return ("administrator",) if administrator else ("partners", tuple(sorted(partners)))


def represented_partner_ids(user) -> list[int]:
    """Ids of the partners a user acts for: their affiliations, and the agencies of an
    affiliated government (a government acts through its agencies).

    A short list, read once per query built: the database then checks a restricted row's
    partners against constants instead of re-deriving the user's partners for every row."""
    from cooperation.models import Partner

    return list(Partner.objects.represented_by(user).values_list("pk", flat=True))


class VisibleQuerySet(models.QuerySet):
    """QuerySet of rows that carry a ``sensitivity``: the one statement of the rule.

    Subclasses say only who is *entitled* to a restricted row (:meth:`entitled`); whether
    that matters, and for whom, is decided here.
    """

    def entitled(self, partners: list[int]) -> Q:
        """Rows a user acting for ``partners`` (partner ids) takes part in."""
        raise NotImplementedError

    def visible_to(self, user):
        """Rows ``user`` may open."""
        condition = self.visibility(user)
        return self.all() if condition is None else self.filter(condition)

    def visibility(self, user) -> Q | None:
        """The condition of the rows ``user`` may open (None: every row)."""
        if not (user and user.is_authenticated and user.is_active):
            return self.public_condition()
        administrator, partners = viewer(user)
        if administrator:
            return None
        return self.member_condition(partners)

    def public_condition(self) -> Q:
        """Rows anyone may open, signed in or not."""
        return Q(sensitivity=Sensitivity.PUBLIC)

    def member_condition(self, partners: list[int]) -> Q:
        """Rows a signed-in user acting for ``partners`` may open."""
        return Q(sensitivity__in=[Sensitivity.PUBLIC, Sensitivity.PARTNERS]) | (
            Q(sensitivity=Sensitivity.RESTRICTED) & self.entitled(partners)
        )


class SensitiveRecordQuerySet(VisibleQuerySet):
    """QuerySet of an agreement or operation, which lists the partners that take part.

    ``participant_relation`` names the reverse relation whose rows have a ``partner`` taking
    part in the record (agreement parties, operation participants); ``participant_fields``
    names foreign keys to a partner that also takes part (a facilitator). Partners in the
    record's ``shared_with`` list are entitled too.
    """

    participant_relation: str = ""
    participant_fields: tuple[str, ...] = ()

    # Approved records by the sensitivity rule; a record under review (draft, submitted,
    # withdrawn) only to its author's partner — or a partner acting through it, as for
    # sensitivity — and to administrators. The author's partner keeps seeing what it wrote.
    def public_condition(self) -> Q:
        return Q(review_state=ReviewState.APPROVED) & super().public_condition()

    def member_condition(self, partners: list[int]) -> Q:
        condition = Q(review_state=ReviewState.APPROVED) & super().member_condition(partners)
        return condition | Q(author_partner__in=partners) if partners else condition

    def entitled(self, partners) -> Q:
        model = self.model
        relation = model._meta.get_field(self.participant_relation)
        takes_part = Exists(
            relation.related_model.objects.filter(
                **{relation.field.name: OuterRef("pk")}, partner__in=partners
            )
        )
        shared = Exists(
            model.shared_with.through.objects.filter(
                **{model._meta.model_name: OuterRef("pk")}, partner__in=partners
            )
        )
        entitled = takes_part | shared
        for field in self.participant_fields:
            entitled |= Q(**{f"{field}__in": partners})
        return entitled

    def entitlement_sql(self, records: str) -> str:
        """SQL of the ``(record, partner)`` pairs :meth:`entitled` reads, for the records whose
        ids the SQL ``records`` selects: the partners taking part, those it is shared with,
        and the partner fields. For statements that count records per audience over many
        records at once (the cooperation summaries)."""
        model = self.model
        relation = model._meta.get_field(self.participant_relation)
        rows = relation.related_model._meta
        through = model.shared_with.through._meta
        shared = model._meta.get_field("shared_with")
        selects = [
            f"SELECT {relation.field.column} AS record, "
            f"{rows.get_field('partner').column} AS partner FROM {rows.db_table} "
            f"WHERE {relation.field.column} IN ({records})",
            f"SELECT {shared.m2m_column_name()}, {shared.m2m_reverse_name()} "
            f"FROM {through.db_table} WHERE {shared.m2m_column_name()} IN ({records})",
        ]
        for name in self.participant_fields:
            column = model._meta.get_field(name).column
            selects.append(
                f"SELECT id, {column} FROM {model._meta.db_table} "
                f"WHERE {column} IS NOT NULL AND id IN ({records})"
            )
        return " UNION ALL ".join(selects)

    def audiences(self) -> dict[int, tuple[str, list[int]]]:
        """For each record, its sensitivity and the ids of the partners entitled to it: the
        snapshot a deletion keeps so that its tombstone is seen by the same people."""
        model = self.model
        relation = model._meta.get_field(self.participant_relation)
        result = {}
        under_review = {}
        for pk, sensitivity, state, author in self.values_list(
            "pk", "sensitivity", "review_state", "author_partner"
        ):
            result[pk] = (sensitivity, set())
            if state != ReviewState.APPROVED:
                under_review[pk] = author
        rows = relation.related_model.objects.filter(
            **{f"{relation.field.name}__in": list(result)}
        ).values_list(relation.field.attname, "partner_id")
        shares = model.shared_with.through.objects.filter(
            **{f"{model._meta.model_name}__in": list(result)}
        ).values_list(f"{model._meta.model_name}_id", "partner_id")
        direct = self.filter(pk__in=list(result)).values_list("pk", *self.participant_fields)
        for pk, partner in [*rows, *shares]:
            result[pk][1].add(partner)
        for pk, *partners in direct:
            result[pk][1].update(p for p in partners if p)
        # A record under review was seen only by the partner that wrote it: so is its tombstone.
        for pk, author in under_review.items():
            result[pk] = (Sensitivity.RESTRICTED.value, {author} - {None})
        return {pk: (sensitivity, sorted(ids)) for pk, (sensitivity, ids) in result.items()}


class VisibleThroughQuerySet(models.QuerySet):
    """QuerySet of rows that belong to a record (seizures of an operation, parties of an
    agreement): visible exactly when the record is. ``parent_field`` names the FK."""

    parent_field: str = ""

    def visible_to(self, user):
        parent_model = self.model._meta.get_field(self.parent_field).related_model
        memo = getattr(user, MEMO, None)
        if memo[0] if memo is not None else is_administrator(user):
            return self.all()
        return self.filter(
            **{f"{self.parent_field}__in": parent_model.objects.visible_to(user).values("pk")}
        )


def speaks_for(user, record) -> bool:
    """Whether ``user`` acts for the partner that wrote ``record`` (its ``author_partner``),
    or administers: who may move it through its review and open it to more people."""
    administrator, partners = viewer(user)
    return administrator or (
        record.author_partner_id is not None and record.author_partner_id in partners
    )


# How far a sensitivity opens a record: a lower rank opens it to more people.
OPENNESS = {Sensitivity.PUBLIC: 0, Sensitivity.PARTNERS: 1, Sensitivity.RESTRICTED: 2}


ADDED_REFUSED = (
    "Only officers of the partner that wrote this record, or an administrator, may open it to "
    "more people: this change would let a partner see it that could not before."
)


def audiences_before(model, pks) -> dict:
    """The audience of each of the records ``pks`` of ``model`` (an agreement or operation)
    now, before a write: what :func:`refuse_opening` compares with afterwards."""
    pks = {pk for pk in pks if pk is not None}
    return model.objects.filter(pk__in=pks).audiences() if pks else {}


def refuse_opening(user, model, before: dict) -> None:
    """After a write, inside its transaction: refuse it (``ValidationError``; the caller's
    transaction then undoes it) if it opened any of the records ``before`` was read for to
    more people — a more open sensitivity, or, while restricted, a partner entitled that was
    not (a participant, a party, a facilitator, a share: whatever the visibility rule reads) —
    and ``user`` does not speak for the record. Every write path of records and their rows
    ends here, so no way of adding a partner escapes the rule."""
    if not before:
        return
    after = model.objects.filter(pk__in=list(before)).audiences()
    for record in model.objects.filter(pk__in=list(after)).only("pk", "author_partner"):
        sensitivity, partners = after[record.pk]
        was, had = before[record.pk]
        widened = OPENNESS[sensitivity] < OPENNESS[was]
        added = sensitivity == Sensitivity.RESTRICTED and set(partners) - set(had)
        if (widened or added) and not speaks_for(user, record):
            raise ValidationError({"sensitivity" if widened else NON_FIELD_ERRORS: [ADDED_REFUSED]})


HIDDEN_FROM_AUTHOR = (
    "You could not see this record after saving it: make a partner you act for take part, "
    "share it with one, or lower its sensitivity."
)


def read_back(queryset, pk):
    """The record ``pk`` as its author sees it just after writing it: ``queryset`` is already
    cut by ``visible_to(author)``. A write may not hide a record from the person who made it
    (restricted, with no partner they act for taking part or sharing it), so this
    raises a ``ValidationError`` on ``sensitivity`` instead; the caller's transaction then
    undoes the write. The API and the portal's forms both end their writes here."""
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise ValidationError({"sensitivity": [HIDDEN_FROM_AUTHOR]}) from None
