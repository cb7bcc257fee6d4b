"""Constraint classes of our own."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models


class FieldCheckConstraint(models.CheckConstraint):
    """A CHECK constraint whose violation ``full_clean()`` reports on one field, so that a
    form or an API client shows the message beside the value to correct."""

    def __init__(self, *, field: str, **kwargs):
        self.field = field
        super().__init__(**kwargs)

    def validate(self, model, instance, exclude=None, using=None):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from None

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return (
            isinstance(other, FieldCheckConstraint)
            and self.field == other.field
            and super().__eq__(other)
        )

    __hash__ = models.CheckConstraint.__hash__


def violation(model, error: IntegrityError) -> ValidationError | None:
    """The constraint of ``model`` that the database enforced in ``error``, as the
    ``ValidationError`` that ``full_clean()`` raises for it (on its field, when it names
    fields), or None when ``error`` names no constraint of ``model``.

    ``full_clean()`` sees one row at a time; the database has the last word when rows are
    written together or by someone else meanwhile, and its refusal reads the same."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    for constraint in model._meta.constraints:
        if constraint.name != name:
            continue
        message = constraint.get_violation_error_message()
        if isinstance(constraint, FieldCheckConstraint):
            return ValidationError({constraint.field: [message]})
        if fields := getattr(constraint, "fields", ()):
            return ValidationError({field: [message] for field in fields})
        return ValidationError(message)
    return None


def constraint_message(model, name: str) -> str:
    """The words of ``model``'s constraint ``name``, for a check made before the database
    would make it (rows of one form checked against each other)."""
    for constraint in model._meta.constraints:
        if constraint.name == name:
            return constraint.get_violation_error_message()
    raise LookupError(f"{model.__name__} has no constraint {name!r}")
