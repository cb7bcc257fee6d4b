"""``/api/v1/stats/seizures/`` and ``/api/v1/stats/operations/``: figures grouped by the
dimensions a reader asks for, over exactly the rows the list endpoint would show them (same
FilterSet, same ``visible_to``), each group linked to that list."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from cooperation.api.renderers import JSONRenderer
from cooperation.models import Country, Partner, Region
from operations import stats
from operations.filters import JointOperationFilterSet, SeizureFilterSet
from operations.models import (
    JointOperation,
    OperationKind,
    OperationStatus,
    Seizure,
    Substance,
    SubstanceGroup,
    Unit,
)

CONTROL_PARAMETERS = ("group_by", "period", "region_level", "format", "page", "cursor")
MAX_DIMENSIONS = 3


def labels_for(dimension: str, values: set) -> dict:
    """Readable names of the values of one dimension (one query at most)."""
    tables = {
        "substance": Substance.objects.all(),
        "substance_group": SubstanceGroup.objects.all(),
        "kind": OperationKind.objects.all(),
        "country": Country.objects.all(),
        "region": Region.objects.all(),
        "partner": Partner.objects.all(),
    }
    choices = {"status": OperationStatus, "unit": Unit}
    if dimension in choices:
        return {value: choices[dimension](value).label for value in values if value}
    if dimension in tables:
        return dict(tables[dimension].filter(pk__in=values).values_list("pk", "name"))
    return {}


class StatsParameters(serializers.Serializer):
    group_by = serializers.CharField()
    period = serializers.ChoiceField(choices=stats.PERIODS, required=False)
    region_level = serializers.ChoiceField(
        choices=list(stats.REGION_LEVELS), required=False, default="subregion"
    )

    def validate(self, attrs):
        names = [part.strip() for part in attrs["group_by"].split(",") if part.strip()]
        allowed = [*self.context["subject"].dimensions, "period"]
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            raise serializers.ValidationError(
                {"group_by": [f"Choose up to {MAX_DIMENSIONS} of: {', '.join(allowed)}."]}
            )
        if len(names) > MAX_DIMENSIONS or len(set(names)) != len(names):
            raise serializers.ValidationError(
                {"group_by": [f"Choose up to {MAX_DIMENSIONS} different dimensions."]}
            )
        if "period" in names and not attrs.get("period"):
            raise serializers.ValidationError({"period": ["Grouping by period needs a period."]})
        attrs["group_by"] = names
        return attrs


class StatsView(GenericAPIView):
    subject: stats.Subject
    model = None
    list_name = ""
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [JSONRenderer]
    pagination_class = None

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)

    def get(self, request):
        parameters = StatsParameters(data=request.query_params, context={"subject": self.subject})
        parameters.is_valid(raise_exception=True)
        options = parameters.validated_data
        rows = self.filter_queryset(self.get_queryset())
        results = stats.aggregate(
            self.subject,
            rows,
            group_by=options["group_by"],
            period=options.get("period"),
            region_level=options["region_level"],
        )
        self.describe(results, options)
        return Response(
            {
                "group_by": options["group_by"],
                "period": options.get("period"),
                "region_level": options["region_level"],
                "results": results,
            }
        )

    def describe(self, results: list[dict], options: dict) -> None:
        """Add labels beside coded values, and the link to the rows behind each figure."""
        group_by = options["group_by"]
        labels = {
            name: labels_for(name, {row[name] for row in results})
            for name in group_by
            if name != "period"
        }
        base = {
            key: ",".join(values)
            for key, values in self.request.query_params.lists()
            if key not in CONTROL_PARAMETERS
        }
        list_url = self.request.build_absolute_uri(reverse(f"api:{self.list_name}-list"))
        for row in results:
            query = dict(base)
            for name in group_by:
                if name == "period":
                    first, last = stats.period_bounds(row["period"], options["period"])
                    after, before = self.subject.date_filters
                    # The figure counts the overlap of the period and the reader's own dates.
                    query[after] = max(first.isoformat(), base.get(after, ""))
                    query[before] = min(last.isoformat(), base.get(before) or "9999-12-31")
                    continue
                if name in labels:
                    row[f"{name}_label"] = labels[name].get(row[name])
                parameter = self.subject.dimensions[name].filter_param
                if parameter and row[name] is not None:
                    query[parameter] = str(row[name])
            row["records"] = f"{list_url}?{urlencode(query)}"

    @classmethod
    def documented(cls, description: str):
        metric_fields = {name: serializers.FloatField() for name in cls.subject.metrics}
        return extend_schema(
            description=description,
            parameters=[
                OpenApiParameter(
                    "group_by",
                    str,
                    required=True,
                    description="Up to three of: "
                    + ", ".join([*cls.subject.dimensions, "period"])
                    + " (comma-separated).",
                ),
                OpenApiParameter("period", str, enum=list(stats.PERIODS)),
                OpenApiParameter("region_level", str, enum=list(stats.REGION_LEVELS)),
            ],
            responses=inline_serializer(
                f"{cls.__name__}Response",
                {
                    "group_by": serializers.ListField(child=serializers.CharField()),
                    "period": serializers.CharField(allow_null=True),
                    "region_level": serializers.CharField(),
                    "results": serializers.ListField(
                        child=inline_serializer(
                            f"{cls.__name__}Group",
                            {
                                **metric_fields,
                                "records": serializers.URLField(
                                    help_text="The list of the rows this group counts."
                                ),
                            },
                        )
                    ),
                },
            ),
        )(cls)


class SeizureStats(StatsView):
    """Seizures grouped by substance, group, country, region, partner, operation kind, unit
    and period: counts, kilogram-equivalents, and quantities that do not convert."""

    subject = stats.SEIZURES
    model = Seizure
    filterset_class = SeizureFilterSet
    list_name = "seizure"


class OperationStats(StatsView):
    """Operations grouped by kind, status, country, region, partner and period: counts,
    arrests, laboratories, hectares and assets."""

    subject = stats.OPERATIONS
    model = JointOperation
    filterset_class = JointOperationFilterSet
    list_name = "operation"


SeizureStats = SeizureStats.documented("Seizure figures, grouped; filters as on /seizures/.")
OperationStats = OperationStats.documented(
    "Operation figures, grouped; filters as on /operations/."
)
