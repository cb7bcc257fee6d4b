"""Response shaping shared by every serializer: readable labels beside coded values, and the
``?fields=``, ``?omit=`` and ``?brief=1`` query parameters."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

BRIEF_FIELDS = ("id", "url", "display")
SHAPING = ("fields", "omit", "brief")  # the query parameters that shape a response


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.ReadOnlyField):
    """The human label of a coded value, e.g. ``status_label: "Completed"``."""

    def __init__(self, choices: dict, **kwargs):
        self.labels = {str(key): str(label) for key, label in choices.items()}
        super().__init__(**kwargs)

    def to_representation(self, value):
        return self.labels.get(str(value), value) if value not in (None, "") else value


def shaping_applies(context: dict) -> bool:
    """Shaping trims what a read returns; writes always validate and return every field."""
    request = context.get("request")
    return (
        request is not None
        and request.method in ("GET", "HEAD", "OPTIONS")
        and not context.get("unshaped")
    )


def requested(context: dict, name: str) -> set[str]:
    if not shaping_applies(context):
        return set()
    request = context["request"]
    raw = ",".join(request.query_params.getlist(name))
    return {part.strip() for part in raw.split(",") if part.strip()}


def wants_brief(context: dict) -> bool:
    if not shaping_applies(context):
        return False
    request = context["request"]
    return request.query_params.get("brief", "").lower() in {"1", "true", "yes"}


class ShapedSerializer(serializers.ModelSerializer):
    """A ModelSerializer that adds ``<field>_label`` beside every choice field and honours
    ``?fields=``, ``?omit=`` and ``?brief=1`` on the top-level object of a response.

    ``display`` (the record's name for humans) is part of every resource.
    """

    display = serializers.SerializerMethodField()

    def get_display(self, obj) -> str:
        return str(obj)

    def get_fields(self):
        fields = super().get_fields()
        for name, field in list(fields.items()):
            if isinstance(field, serializers.ChoiceField) and f"{name}_label" not in fields:
                fields[f"{name}_label"] = ChoiceLabelField(
                    field.choices, source=field.source or name
                )
        self._limit_to_visible(fields)
        if self.is_top_level():
            fields = self._shape(fields)
        return fields

    def _limit_to_visible(self, fields) -> None:
        """A write may only link to records its author can see (``Meta.visible_related``), and
        speak only for partners its author acts for (``Meta.represented_related``)."""
        user = self.context.get("user")
        limits = [(name, "visible") for name in getattr(self.Meta, "visible_related", ())]
        limits += [(name, "represented") for name in getattr(self.Meta, "represented_related", ())]
        for name, limit in limits:
            field = fields.get(name)
            if field is None or field.read_only:
                continue
            target = field.child_relation if hasattr(field, "child_relation") else field
            if limit == "visible":
                target.queryset = target.queryset.visible_to(user)
            else:
                target.queryset = target.queryset.represented_by(user)

    def is_top_level(self) -> bool:
        """The object a response is about (or each object of a list), not a nested one."""
        parent = self.parent
        if isinstance(parent, serializers.ListSerializer):
            parent = parent.parent
        return parent is None

    def _shape(self, fields):
        if wants_brief(self.context):
            return {name: f for name, f in fields.items() if name in BRIEF_FIELDS}
        only = requested(self.context, "fields")
        omit = requested(self.context, "omit")
        if only:
            fields = {name: f for name, f in fields.items() if name in only}
        return {name: f for name, f in fields.items() if name not in omit}
