"""Constraint classes of our own."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


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
