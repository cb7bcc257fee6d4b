"""Fast reads: a serializer's representation, compiled once into plain functions.

DRF walks every field of every row through several method calls; on a page of a thousand
operations with their rows that walk is most of the request. Here each field of a serializer
(as shaped for the request) becomes one small function reading the model instance directly,
with the same output as ``serializer.data`` — ``tests/api/test_fast_reads.py`` holds the two
equal for every resource. Field types it does not know fall back to DRF's own
``to_representation``, so a new kind of field is slower, never wrong.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import uuid
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from operator import attrgetter

import orjson
import psycopg
from django.contrib.postgres.aggregates.mixins import OrderableAggMixin
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import (
    Aggregate,
    F,
    Func,
    OuterRef,
    Subquery,
    prefetch_related_objects,
    signals,
)
from django.db.models.base import ModelState
from django.db.models.functions import Cast
from django.db.models.query import RelatedPopulator
from django.urls import reverse
from django.utils.encoding import is_protected_type
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings

import cooperation.lookups  # noqa: F401 - registers field__any
from cooperation.api.shaping import SHAPING, ChoiceLabelField
from cooperation.models import AuditedModel

Getter = Callable[[object], object]

# Fields whose DRF representation of a model value is the value itself (the renderer turns
# dates, UUIDs and decimals into JSON the same way DRF would).
IDENTITY = (
    drf_fields.CharField,
    drf_fields.IntegerField,
    drf_fields.BooleanField,
    drf_fields.ReadOnlyField,
    drf_fields.DateField,
    drf_fields.UUIDField,
    drf_fields.FloatField,
)


def _column_names(model) -> set[str]:
    """Names under which an instance of ``model`` holds a column's value (never a callable)."""
    if model is None:
        return set()
    fields = model._meta.concrete_fields
    return {f.attname for f in fields} | {f.name for f in fields if not f.is_relation}


def _path(source: str, model=None) -> Getter:
    """Read a dotted ``source`` from an instance; ``None`` anywhere along it gives ``None``;
    a callable at the end is called (as DRF does). A column of ``model`` (the serializer's) is
    read directly: it is never callable."""
    parts = source.split(".")
    if len(parts) == 1 and source in _column_names(model):
        return attrgetter(source)
    if len(parts) == 1:
        get = attrgetter(source)

        def read(obj):
            value = get(obj)
            return value() if callable(value) else value

        return read

    def read_path(obj):
        for part in parts:
            if obj is None:
                return None
            obj = getattr(obj, part)
        return obj() if callable(obj) else obj

    return read_path


def _compile_field(field, context) -> Getter:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if isinstance(field, serializers.ListSerializer):
        child = compile_serializer(field.child)
        manager = attrgetter(field.source)
        rows = _loaded(field.source, lambda obj: manager(obj).all())
        return lambda obj: [child(row) for row in rows(obj)]
    if isinstance(field, serializers.BaseSerializer):
        nested = compile_serializer(field)
        single = _path(field.source)
        return lambda obj: None if (value := single(obj)) is None else nested(value)
    if isinstance(field, relations.HyperlinkedIdentityField):
        request = context.get("request")
        marker = "00000000"
        template = reverse(field.view_name, kwargs={field.lookup_url_kwarg: marker})
        if request is not None:
            template = request.build_absolute_uri(template)
        head, tail = template.split(marker)
        lookup = attrgetter(field.lookup_field)
        return lambda obj: f"{head}{lookup(obj)}{tail}"
    if isinstance(field, relations.ManyRelatedField):
        child = field.child_relation
        manager = attrgetter(field.source)
        target = field.parent.Meta.model._meta.get_field(field.source).related_model
        keys_are_pks = (
            isinstance(child, relations.PrimaryKeyRelatedField) and child.pk_field is None
        ) or (
            isinstance(child, relations.SlugRelatedField)
            and child.slug_field == target._meta.pk.name
        )
        if keys_are_pks:
            return _loaded(field.source, lambda obj: [row.pk for row in manager(obj).all()])
        if isinstance(child, relations.SlugRelatedField):
            slug = attrgetter(child.slug_field)
            return lambda obj: [slug(row) for row in manager(obj).all()]
    if (
        isinstance(field, relations.PrimaryKeyRelatedField)
        and field.pk_field is None
        and "." not in field.source
    ):
        model_field = field.parent.Meta.model._meta.get_field(field.source)
        return attrgetter(model_field.attname)
    if isinstance(field, drf_fields.SerializerMethodField):
        # Bound to a serializer without context: a compiled representation is shared by
        # requests, so no method of a list page may depend on who asks.
        return getattr(type(field.parent)(context={}), field.method_name)
    if isinstance(field, drf_fields.ModelField):
        model_field = field.model_field
        read = attrgetter(model_field.attname)

        def value(obj):
            raw = read(obj)
            return raw if is_protected_type(raw) else model_field.value_to_string(obj)

        return value
    if isinstance(field, ChoiceLabelField):
        labels, read = field.labels, _path(field.source, model)

        def label(obj):
            value = read(obj)
            return labels.get(str(value), value) if value not in (None, "") else value

        return label
    if isinstance(field, drf_fields.ChoiceField) and not isinstance(
        field, drf_fields.MultipleChoiceField
    ):
        read = _path(field.source, model)
        return read
    if (
        isinstance(field, drf_fields.DateTimeField)
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and "timezone" not in field.__dict__
    ):
        return _iso_instant(_path(field.source, model), field.default_timezone())
    if isinstance(field, IDENTITY) and not isinstance(field, drf_fields.DateTimeField):
        return _path(field.source, model)
    if isinstance(field, drf_fields.DecimalField) and not getattr(
        field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING
    ):
        return _path(field.source, model)
    # Anything else: DRF's own way, one field at a time.
    get_attribute, to_representation = field.get_attribute, field.to_representation

    def fallback(obj):
        value = get_attribute(obj)
        return None if value is None else to_representation(value)

    return fallback


def _iso_instant(read: Getter, zone) -> Getter:
    """DRF's ISO 8601 rendering of an aware datetime (UTC written ``Z``), without its field."""

    def instant(obj):
        value = read(obj)
        if not value:
            return None
        if zone is not None:
            # As DRF's enforce_timezone: aware values move to the zone, naive ones are in it.
            value = value.astimezone(zone) if value.tzinfo else value.replace(tzinfo=zone)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return instant


def compile_serializer(serializer) -> Callable[[object], dict]:
    """A function turning one instance into the dict ``serializer`` would produce."""
    getters = [
        (name, _compile_field(field, serializer.context))
        for name, field in serializer.fields.items()
        if not field.write_only
    ]

    def represent(obj):
        return {name: get(obj) for name, get in getters}

    return represent


_COMPILED: OrderedDict = OrderedDict()
_COMPILED_LIMIT = 256


def compiled_for(view) -> Callable[[object], dict]:
    """The compiled representation of ``view``'s serializer as this request shapes it, built
    once per shape and kept (the newest few hundred shapes): building DRF's fields for a
    serializer and its nested ones costs more than representing a page of rows.

    The key holds everything a getter reads from the request: the serializer, the address
    the links start with and the shaping parameters.
    """
    request = view.request
    key = (
        view.get_serializer_class(),
        request.build_absolute_uri("/"),
        tuple(sorted((name, tuple(request.query_params.getlist(name))) for name in SHAPING)),
    )
    return _kept(_COMPILED, key, lambda: compile_serializer(view.get_serializer()))


def _kept(cache: OrderedDict, key, make):
    """``cache[key]``, made by ``make()`` the first time; only the newest few hundred kept."""
    value = cache.get(key)
    if value is None:
        value = cache[key] = make()
        if len(cache) > _COMPILED_LIMIT:
            cache.popitem(last=False)
    return value


def loaded(model, db, names, values):
    """``model.from_db(db, names, values)`` without its per-field ``__init__``: the values go
    straight into the instance, as Django's own ``__init__`` would set them when no
    ``pre_init`` / ``post_init`` receiver listens (else Django's way is taken). Columns not
    read stay deferred, as with ``from_db``."""
    if _init_listened(model):
        return model.from_db(db, names, values)
    obj = model.__new__(model)
    obj.__dict__.update(zip(names, values, strict=True))
    obj._state = ModelState()
    obj._state.adding = False
    obj._state.db = db
    return obj


def _init_listened(model) -> bool:
    # Asked for every row: no receiver at all (the usual case) is answered without looking
    # the model up among them.
    if not (signals.pre_init.receivers or signals.post_init.receivers):
        return False
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)


class _LeanPopulator(RelatedPopulator):
    """Django's ``select_related`` populator, building each related instance with
    :func:`loaded` instead of ``from_db``."""

    def __init__(self, klass_info, select, db):
        super().__init__(klass_info, select, db)
        self.related_populators = _lean_populators(klass_info, select, db)

    def populate(self, row, from_obj):
        if self.reorder_for_init:
            values = self.reorder_for_init(row)
        else:
            values = row[self.cols_start : self.cols_end]
        if values[self.pk_idx] is None:
            obj = None
        else:
            obj = loaded(self.model_cls, self.db, self.init_list, values)
            for related in self.related_populators:
                related.populate(row, obj)
        self.local_setter(from_obj, obj)
        if obj is not None:
            self.remote_setter(obj, from_obj)


def _lean_populators(klass_info, select, db) -> list:
    return [_LeanPopulator(info, select, db) for info in klass_info.get("related_klass_infos", [])]


class Row:
    """A child row read as plain values: the attributes its serializer reads, without a model
    instance's construction cost. Only the compiled getters see it."""

    @classmethod
    def leading(cls, names, values, pk_index: int) -> Row:
        """A row of the first ``len(names)`` of ``values`` (those after are not its own),
        built without ``__init__``: a page takes apart thousands."""
        row = object.__new__(cls)
        row.__dict__ = attributes = dict(zip(names, values, strict=False))
        attributes["pk"] = values[pk_index]
        return row


def lean_prefetch(instances: list, lookups, model=None) -> None:
    """Load the related rows of ``instances`` that ``lookups`` (a queryset's
    ``prefetch_related`` lookups: names or ``Prefetch`` objects) name, one query per lookup,
    and keep them on each instance for :func:`compile_serializer`'s getters.

    Django's own prefetching builds a manager and clones a queryset for every instance and
    relation; for a thousand operations that bookkeeping costs more than the queries. Here a
    many-to-many relation yields only the related keys (read from the link table, in the
    target's order), and a reverse foreign key yields its rows, grouped in one pass.
    """
    if not instances:
        return
    model = model or type(instances[0])
    ids = [obj.pk for obj in instances]
    for lookup in lookups:
        name = getattr(lookup, "prefetch_through", lookup)
        queryset = getattr(lookup, "queryset", None)
        field = model._meta.get_field(name)
        grouped: dict = {pk: [] for pk in ids}
        if field.many_to_many and not field.auto_created and queryset is None:
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            ordering = [
                f"-{target}__{o[1:]}" if o.startswith("-") else f"{target}__{o}"
                for o in field.related_model._meta.ordering
            ]
            pairs = (
                through.objects.filter(**{f"{source}_id__any": ids})
                .order_by(*ordering, f"{target}_id")
                .values_list(f"{source}_id", f"{target}_id")
            )
            for owner, related in pairs:
                grouped[owner].append(related)
        elif field.one_to_many:
            rows_query = queryset if queryset is not None else field.related_model.objects.all()
            nested = rows_query._prefetch_related_lookups
            foreign_key = field.field.attname
            rows_query, shared = _without_shared_joins(rows_query)
            rows = _rows(rows_query.prefetch_related(None).filter(**{f"{foreign_key}__any": ids}))
            _share_related(rows, shared)
            lean_prefetch(rows, nested, model=rows_query.model)
            for row in rows:
                grouped[getattr(row, foreign_key)].append(row)
        else:
            prefetch_related_objects(instances, lookup)  # Django's way, for anything else
            continue
        for obj in instances:
            obj.__dict__.setdefault("_lean", {})[name] = grouped[obj.pk]


def _without_shared_joins(queryset):
    """Split off a child queryset's one-level ``select_related`` joins: the rows of a page
    point at few distinct partners, substances or agreements, so loading each target once and
    sharing it beats building a copy per row from a join."""
    joins = queryset.query.select_related
    if not isinstance(joins, dict) or any(joins.values()):
        return queryset, []
    fields = [queryset.model._meta.get_field(name) for name in joins]
    return queryset.select_related(None), fields


def _rows(queryset) -> list[Row]:
    """The rows of ``queryset`` as :class:`Row` values, its deferred columns left out."""
    meta = queryset.model._meta
    deferred, defer = queryset.query.deferred_loading
    names = [
        field.attname
        for field in meta.concrete_fields
        if (field.name in deferred) != defer or field.primary_key
    ]
    pk_index = names.index(meta.pk.attname)
    return [Row.leading(names, values, pk_index) for values in queryset.values_list(*names)]


AUDIT_FIELDS = ("created_at", "updated_at", "created_by", "updated_by")


def _share_related(rows: list, fields) -> None:
    """Point each row at its target record, loaded once per distinct key. A row names its
    target (a partner, a substance, an agreement): who last edited that target is not read
    on a list page, so the audit columns stay behind."""
    for field in fields:
        keys = {getattr(row, field.attname) for row in rows} - {None}
        target_model = field.related_model
        targets_query = target_model._base_manager.filter(pk__any=keys)
        if issubclass(target_model, AuditedModel):
            targets_query = targets_query.defer(*AUDIT_FIELDS)
        targets = {target.pk: target for target in targets_query}
        for row in rows:
            key = getattr(row, field.attname)
            setattr(row, field.name, targets.get(key) if key is not None else None)


def _loaded(source: str, fallback: Callable) -> Callable:
    """Rows (or keys) of a relation: those :func:`lean_prefetch` kept, else the manager's."""

    def rows(obj):
        lean = obj.__dict__.get("_lean")
        if lean is not None and source in lean:
            return lean[source]
        return fallback(obj)

    return rows


# -- relations folded into the page's own statement ---------------------------------------------


class _RowsAsText(OrderableAggMixin, Aggregate):
    """``json_agg`` of a child table's rows, handed over as text for orjson to parse."""

    function = "json_agg"
    template = "(%(function)s(%(expressions)s %(order_by)s))::text"
    output_field = models.TextField()


def _effective(field):
    return (
        getattr(field, "output_field", None) if isinstance(field, models.GeneratedField) else field
    )


def _column(field):
    """How a child column travels inside JSON, and how it is read back to the value the ORM
    would have given; ``None`` when its type does not survive the trip unchanged."""
    kind = _effective(field)
    if isinstance(kind, models.DateTimeField):
        return F(field.attname), datetime.datetime.fromisoformat
    if isinstance(kind, models.DateField):
        return F(field.attname), datetime.date.fromisoformat
    if isinstance(kind, models.DecimalField):  # as text, so that no digit is lost
        return Cast(F(field.attname), models.TextField()), Decimal
    if isinstance(kind, models.UUIDField):
        return F(field.attname), uuid.UUID
    if isinstance(
        kind,
        models.CharField
        | models.TextField
        | models.IntegerField
        | models.BooleanField
        | models.FloatField
        | models.AutoField
        | models.ForeignKey,
    ):
        return F(field.attname), None
    return None


def _lookups_not_joins(model, ordering) -> list:
    """``ordering`` with each step across a foreign key (``partner__name``) read by a
    subquery on the target's key instead of a join: for the few rows of one record, a join
    makes the planner hash a whole table of partners or countries for every record."""
    result = []
    for item in ordering:
        if not isinstance(item, str) or "__" not in item:
            result.append(item)
            continue
        descending, name = item.startswith("-"), item.lstrip("-")
        head, rest = name.split("__", 1)
        field = model._meta.get_field(head)
        if not (field.many_to_one and "__" not in rest):
            result.append(item)
            continue
        value = Subquery(
            field.related_model._base_manager.filter(pk=OuterRef(field.attname))
            .order_by()
            .values(rest)[:1]
        )
        result.append(value.desc() if descending else value.asc())
    return result


@functools.cache
def _link_keys(field, outer: str = "pk"):
    """The keys a many-to-many relation links a row to, in the target's order, as one
    ``ARRAY(...)`` subquery."""
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    ordering = [
        f"-{target}__{o[1:]}" if o.startswith("-") else f"{target}__{o}"
        for o in field.related_model._meta.ordering
    ]
    return ArraySubquery(
        through.objects.filter(**{f"{source}_id": OuterRef(outer)})
        .order_by(*_lookups_not_joins(through, [*ordering, f"{target}_id"]))
        .values(f"{target}_id")
    )


def _plain_m2m(field, queryset) -> bool:
    return field.many_to_many and not field.auto_created and queryset is None


class LeanPlan:
    """A page read in as few statements as possible: the relations that a queryset's
    ``prefetch_related`` lookups name are folded into the page's own statement — keys of
    many-to-many links as ``ARRAY(...)``, child rows as ``json_agg`` — and taken apart again
    into the same values :func:`lean_prefetch` would load. Relations it cannot fold (and
    whatever a client's request shape needs beyond them) go through :func:`lean_prefetch`.

    ``annotate`` the queryset before paging it; ``load`` the rows a page holds.
    """

    def __init__(self, model, lookups):
        self.model = model
        self.folded: list[tuple[str, str, object, Callable]] = []
        self.rest = []
        for lookup in lookups:
            name = getattr(lookup, "prefetch_through", lookup)
            queryset = getattr(lookup, "queryset", None)
            field = model._meta.get_field(name)
            alias = f"_lean_{name}"
            if _plain_m2m(field, queryset):
                self.folded.append((name, alias, _link_keys(field), _keys))
                continue
            folded = self._child_rows(field, queryset) if field.one_to_many else None
            if folded is None:
                self.rest.append(lookup)
            else:
                self.folded.append((name, alias, *folded))
        # Whether loading a page's rows takes no query of its own (every relation folded).
        self.self_contained = not self.rest and all(
            getattr(decode, "self_contained", True) for *_, decode in self.folded
        )

    def _child_rows(self, field, queryset):
        rows_query = queryset if queryset is not None else field.related_model.objects.all()
        nested = rows_query._prefetch_related_lookups
        rows_query, shared = _without_shared_joins(rows_query.prefetch_related(None))
        if rows_query.query.select_related:
            return None
        child = rows_query.model
        meta = child._meta
        deferred, defer = rows_query.query.deferred_loading
        fields = [f for f in meta.concrete_fields if (f.name in deferred) != defer or f.primary_key]
        columns = [_column(f) for f in fields]
        if any(column is None for column in columns):
            return None
        names = [f.attname for f in fields]
        expressions = [expression for expression, _ in columns]
        readers = [(i, read) for i, (_, read) in enumerate(columns) if read is not None]
        links, rest = [], []
        for lookup in nested:
            inner = meta.get_field(getattr(lookup, "prefetch_through", lookup))
            if _plain_m2m(inner, getattr(lookup, "queryset", None)):
                links.append(inner.name)
                expressions.append(_link_keys(inner, outer=meta.pk.attname))
            else:
                rest.append(lookup)
        # The record each row names (its partner, substance, agreement) travels inside the
        # row too, and is built once per page however many rows name it.
        targets, unshared = [], []
        for target_field in shared:
            folded = _target_row(target_field)
            if folded is None:
                unshared.append(target_field)
            else:
                targets.append((target_field, *folded[1:]))
                expressions.append(folded[0])
        foreign_key = field.field.attname
        ordering = _lookups_not_joins(child, list(rows_query.query.order_by) or list(meta.ordering))
        rows_json = (
            rows_query.filter(**{foreign_key: OuterRef("pk")})
            .order_by()
            .values(foreign_key)
            .annotate(
                rows=_RowsAsText(
                    Func(
                        *expressions, function="json_build_array", output_field=models.TextField()
                    ),
                    order_by=ordering,
                )
            )
            .values("rows")
        )
        width = len(names)
        links_end = width + len(links)
        pk_index = names.index(meta.pk.attname)

        def decode(pages_rows: list) -> None:
            """``pages_rows``: (instance, text) pairs; set each instance's rows."""
            every = []
            built: dict = {}
            for obj, text in pages_rows:
                rows = []
                for values in orjson.loads(text) if text else ():
                    for i, read in readers:
                        if values[i] is not None:
                            values[i] = read(values[i])
                    row = Row.leading(names, values, pk_index)
                    if links:
                        row._lean = dict(zip(links, values[width:links_end], strict=True))
                    for (target_field, build), value in zip(
                        targets, values[links_end:], strict=True
                    ):
                        setattr(row, target_field.name, build(value, built))
                    rows.append(row)
                obj.__dict__.setdefault("_lean", {})[field.name] = rows
                every.extend(rows)
            _share_related(every, unshared)
            if rest:
                lean_prefetch(every, rest, model=child)

        decode.self_contained = not unshared and not rest
        return Subquery(rows_json), decode

    def annotate(self, queryset):
        return queryset.annotate(**{alias: expression for _, alias, expression, _ in self.folded})

    def load(self, instances: list) -> None:
        if not instances:
            return
        for name, alias, _, decode in self.folded:
            if decode is _keys:
                for obj in instances:
                    obj.__dict__.setdefault("_lean", {})[name] = obj.__dict__.pop(alias) or []
            else:
                decode([(obj, obj.__dict__.pop(alias)) for obj in instances])
        lean_prefetch(instances, self.rest)


def _keys(value):
    return value or []


@functools.cache
def _target_row(field):
    """The record a foreign key ``field`` points at, as a JSON array inside its row, and a
    function turning that array back into a model instance (one per key and page: ``built``).
    Both depend only on the models, so they are built once (as :func:`_link_keys`): a query
    expression is copied, never changed, when a queryset uses it.
    ``None`` when a column's type does not survive JSON."""
    target = field.related_model
    # What names a record (name, code, title, acronym) travels; its audit columns and long
    # texts (descriptions, summaries) stay behind, loaded only if something reads them.
    fields = [
        f
        for f in target._meta.concrete_fields
        if f.name not in AUDIT_FIELDS and (f.primary_key or not isinstance(f, models.TextField))
    ]
    columns = [_column(f) for f in fields]
    if any(column is None for column in columns):
        return None
    names = [f.attname for f in fields]
    readers = [(i, read) for i, (_, read) in enumerate(columns) if read is not None]
    row = (
        target._base_manager.filter(pk=OuterRef(field.attname))
        .order_by()
        .annotate(
            row=Func(
                *(expression for expression, _ in columns),
                function="json_build_array",
                output_field=models.TextField(),
            )
        )
        .values("row")[:1]
    )
    pk_index = names.index(target._meta.pk.attname)

    def build(values, built: dict):
        if values is None:
            return None
        key = (target, values[pk_index])
        instance = built.get(key)
        if instance is None:
            for i, read in readers:
                if values[i] is not None:
                    values[i] = read(values[i])
            instance = built[key] = loaded(target, None, names, values)
        return instance

    return Subquery(row), build


# -- a page's rows by their keys, with a statement compiled once ---------------------------------

_KEYS_MARKER = -7_340_117  # a key no row has: finds the keys' parameter in a compiled statement
_ROW_STATEMENTS: OrderedDict = OrderedDict()


class _RowStatement:
    """``queryset`` filtered to a list of keys, compiled to SQL once; run for any keys.

    Building the ORM expressions of a page with its folded relations (arrays of links, rows
    as JSON) and compiling them costs as much as running the statement; the statement is the
    same for every page of a resource read by readers who see the same rows, only the keys
    change. Rows come back as model instances exactly as the queryset would build them."""

    def __init__(self, queryset):
        probe = queryset.order_by().filter(pk__any=[_KEYS_MARKER])
        self.db = probe.db
        self.compiler = probe.query.get_compiler(using=self.db)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.position = self.params.index([_KEYS_MARKER])
        info = self.compiler.klass_info
        self.model = info["model"]
        fields = info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.names = [
            column[0].target.attname for column in self.compiler.select[self.start : self.end]
        ]
        self.annotations = self.compiler.annotation_col_map

    def rows(self, keys: list, each_chunk: Callable[[list], None] | None = None) -> list:
        """The rows whose keys are ``keys``, as model instances (in no order).

        With ``each_chunk``, each few dozen rows are handed to it as soon as they are built,
        while PostgreSQL goes on computing the next ones: a page of a thousand operations
        spends as long in the server (folding child rows into JSON) as in Python (taking them
        apart), and the two then overlap on two cores. A query ``each_chunk`` makes waits for
        the rest of the rows to arrive first (see :class:`_Arriving`). Small pages are read
        in one go, by a prepared statement.
        """
        from django.db import connections

        params = list(self.params)
        params[self.position] = list(keys)
        connection = connections[self.db]
        connection.ensure_connection()
        populators = _lean_populators(self.compiler.klass_info, self.compiler.select, self.db)

        def build(fetched: list) -> list:
            built = []
            for row in self.compiler.results_iter(results=[fetched]):
                obj = loaded(self.model, self.db, self.names, row[self.start : self.end])
                for populator in populators:
                    populator.populate(row, obj)
                for name, position in self.annotations.items():
                    setattr(obj, name, row[position])
                built.append(obj)
            return built

        # Bound on the server, so that psycopg prepares the statement once it has run a few
        # times on a connection: PostgreSQL then skips parsing and planning it.
        with connection.wrap_database_errors:
            raw = ServerBindingCursor(connection.connection)
        cursor = connection._prepare_cursor(raw)  # logged and wrapped as any other query
        with cursor:
            if each_chunk is None or len(keys) < STREAM_FROM:
                cursor.execute(self.sql, params)
                found = build(cursor.fetchall())
                if each_chunk is not None:
                    each_chunk(found)
                return found
            return self._streamed(connection, cursor, params, build, each_chunk)

    def _streamed(self, connection, cursor, params, build, each_chunk) -> list:
        def start(sql, params, many, context):
            # The statement is sent when its first row is asked for.
            stream = cursor.cursor.stream(sql, params, size=_FETCHED_AT_ONCE)
            return _Arriving(itertools.chain([next(stream)], stream), stream)

        found = []
        with connection.wrap_database_errors:
            try:
                if isinstance(cursor, CursorDebugWrapper):  # logged as its ``execute`` would
                    with cursor.debug_sql(self.sql, params, use_last_executed_query=True):
                        rows = cursor._execute_with_wrappers(self.sql, params, False, start)
                else:
                    rows = cursor._execute_with_wrappers(self.sql, params, False, start)
            except StopIteration:
                return found
            try:
                with connection.execute_wrapper(rows.make_room):
                    while chunk := rows.next_chunk():
                        built = build(chunk)
                        each_chunk(built)
                        found.extend(built)
            finally:
                rows.stream.close()  # an unfinished read is cancelled, the connection freed
        return found


# Pages of this many rows or more are streamed, this many rows at a time.
STREAM_FROM = 200
STREAM_CHUNK = 50
# Rows fetched from the server at once: by chunks from libpq 17 on, one by one before it.
_FETCHED_AT_ONCE = STREAM_CHUNK if psycopg.pq.version() >= 170000 else 1


class _Arriving:
    """The rows of a streamed statement, a chunk at a time. Until the last has arrived the
    connection is busy (psycopg holds its lock): a query made meanwhile on it first takes
    in every row still to come, then runs — slower, never stuck."""

    def __init__(self, rows, stream):
        self.rows, self.stream = rows, stream
        self.received = False

    def next_chunk(self) -> list:
        return list(itertools.islice(self.rows, STREAM_CHUNK))

    def make_room(self, execute, sql, params, many, context):
        if not self.received:
            self.rows, self.received = iter(list(self.rows)), True
        return execute(sql, params, many, context)


def rows_by_keys(make_queryset, keys: list, cache_key, each_chunk=None) -> list:
    """The rows of the queryset ``make_queryset()`` builds whose keys are ``keys`` (in no
    order). ``cache_key`` names everything the statement depends on besides the keys (the
    resource, the reader's visibility); the newest few hundred statements are kept.
    ``each_chunk``: see :meth:`_RowStatement.rows`."""
    return _kept(_ROW_STATEMENTS, cache_key, lambda: _RowStatement(make_queryset())).rows(
        keys, each_chunk
    )


_PLANS: OrderedDict = OrderedDict()


def lean_plan(cache_key, make_plan) -> LeanPlan:
    """The :class:`LeanPlan` ``make_plan()`` builds, kept under ``cache_key`` (as the row
    statements are): its expressions and decoders depend only on the resource and on what
    the reader may see."""
    return _kept(_PLANS, cache_key, make_plan)
