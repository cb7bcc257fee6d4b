"""Fast reads: a serializer's representation, compiled once into plain functions.

DRF walks every field of every row through several method calls; on a page of a thousand
operations with their rows that walk is most of the request. Here each field of a serializer
(as shaped for the request) becomes one small function reading the model instance directly,
with the same output as ``serializer.data`` — ``tests/api/test_fast_reads.py`` holds the two
equal for every resource. Field types it does not know fall back to DRF's own
``to_representation``, so a new kind of field is slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from django.db.models import prefetch_related_objects
from django.urls import reverse
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.settings import api_settings

import cooperation.lookups  # noqa: F401 - registers field__any
from cooperation.api.shaping import ChoiceLabelField

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


def _path(source: str) -> Getter:
    """Read a dotted ``source`` from an instance; ``None`` anywhere along it gives ``None``;
    a callable at the end is called (as DRF does)."""
    parts = source.split(".")
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
        method = getattr(field.parent, field.method_name)
        return method
    if isinstance(field, ChoiceLabelField):
        labels, read = field.labels, _path(field.source)

        def label(obj):
            value = read(obj)
            return labels.get(str(value), value) if value not in (None, "") else value

        return label
    if isinstance(field, drf_fields.ChoiceField) and not isinstance(
        field, drf_fields.MultipleChoiceField
    ):
        read = _path(field.source)
        return read
    if isinstance(field, IDENTITY) and not isinstance(field, drf_fields.DateTimeField):
        return _path(field.source)
    if isinstance(field, drf_fields.DecimalField) and not getattr(
        field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING
    ):
        return _path(field.source)
    # Anything else: DRF's own way, one field at a time.
    get_attribute, to_representation = field.get_attribute, field.to_representation

    def fallback(obj):
        value = get_attribute(obj)
        return None if value is None else to_representation(value)

    return fallback


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


def represent_many(serializer, objects) -> list[dict]:
    """The representation of ``objects`` by ``serializer`` (an unbound instance carrying the
    request's context and shaping)."""
    represent = compile_serializer(serializer)
    return [represent(obj) for obj in objects]


class Row:
    """A child row read as plain values: the attributes its serializer reads, without a model
    instance's construction cost. Only the compiled getters see it."""

    def __init__(self, names, values, pk_name: str):
        self.__dict__.update(zip(names, values, strict=True))
        self.pk = self.__dict__[pk_name]


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
    return [Row(names, values, meta.pk.attname) for values in queryset.values_list(*names)]


def _share_related(rows: list, fields) -> None:
    for field in fields:
        keys = {getattr(row, field.attname) for row in rows} - {None}
        targets = {
            target.pk: target for target in field.related_model._base_manager.filter(pk__any=keys)
        }
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
