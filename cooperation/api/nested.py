"""Writable nested rows: a record and its child rows saved in one atomic request.

A record serializer lists its nested relations in ``Meta.nested``; on write, each relation's
rows are matched by ``id`` (updated), created when they carry none, and the record's rows
missing from the request are deleted — only when the request names the relation at all, so a
PATCH that leaves it out keeps the rows as they are. Every row goes through ``full_clean()``;
errors come back at the row's position, and the view's transaction undoes everything.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers

from cooperation.api.errors import api_errors
from cooperation.api.shaping import ShapedSerializer
from cooperation.models import stamp


class ChildSerializer(ShapedSerializer):
    """A child row inside its record: ``id`` names an existing row to update."""

    id = serializers.IntegerField(required=False)


def full_clean_or_raise(instance, *, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as error:
        raise serializers.ValidationError(api_errors(error)) from None


class NestedWritableSerializer(ShapedSerializer):
    """A record whose ``Meta.nested`` relations (``{"parties": "agreement"}``: relation name
    to the child's foreign key) are written with it."""

    def nested(self) -> dict[str, str]:
        return getattr(self.Meta, "nested", {})

    def create(self, validated_data):
        rows = {name: validated_data.pop(name) for name in self.nested() if name in validated_data}
        return self.save_record(self.Meta.model(), validated_data, rows, creating=True)

    def update(self, instance, validated_data):
        rows = {name: validated_data.pop(name) for name in self.nested() if name in validated_data}
        return self.save_record(instance, validated_data, rows, creating=False)

    def save_record(self, instance, data, rows, *, creating: bool):
        user = self.context.get("user")
        many = {
            name: data.pop(name)
            for name in list(data)
            if instance._meta.get_field(name).many_to_many
        }
        for name, value in data.items():
            setattr(instance, name, value)
        stamp(instance, user, creating=creating)
        full_clean_or_raise(instance, exclude=list(many))
        instance.save()
        for name, value in many.items():
            getattr(instance, name).set(value)
        for relation, row_data in rows.items():
            self.save_rows(instance, relation, row_data, user)
        if rows:
            self.after_rows(instance)
        return instance

    def after_rows(self, instance) -> None:
        """Checks that need the record and all its rows (e.g. the bilateral rule), once the
        request's rows are written."""
        full_clean_or_raise(instance)

    def save_rows(self, instance, relation: str, row_data: list[dict], user) -> None:
        foreign_key = self.nested()[relation]
        manager = getattr(instance, relation)
        existing = {row.pk: row for row in manager.all()}
        named = {data["id"] for data in row_data if data.get("id") is not None}
        # Rows left out of the request go first, so that their partners or keys can be reused.
        manager.filter(pk__in=[pk for pk in existing if pk not in named]).delete()
        errors, failed = [], False
        for data in row_data:
            data = dict(data)
            pk = data.pop("id", None)
            if pk is not None and pk not in existing:
                errors.append({"id": [f"No row {pk} belongs to this record."]})
                failed = True
                continue
            row = existing.get(pk) or manager.model(**{foreign_key: instance})
            many = {
                name: data.pop(name)
                for name in list(data)
                if row._meta.get_field(name).many_to_many
            }
            for name, value in data.items():
                setattr(row, name, value)
            stamp(row, user, creating=pk is None)
            try:
                full_clean_or_raise(row, exclude=list(many))
                with transaction.atomic():
                    row.save()
            except serializers.ValidationError as error:
                errors.append(error.detail)
                failed = True
                continue
            except IntegrityError as error:
                errors.append({"non_field_errors": [constraint_message(error)]})
                failed = True
                continue
            for name, value in many.items():
                getattr(row, name).set(value)
            errors.append({})
        if failed:
            raise serializers.ValidationError({self.field_name_of(relation): errors})

    def field_name_of(self, relation: str) -> str:
        """The API name of a nested relation (``participants`` for ``participations``)."""
        for name, field in self.fields.items():
            if field.source == relation:
                return name
        return relation


def constraint_message(error: IntegrityError) -> str:
    """Words for a constraint the rows of one request broke together (e.g. two leads)."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    return f"This row conflicts with another row of the request ({name or 'constraint'})."
