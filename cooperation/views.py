from django.db.models import F
from django.shortcuts import render

from agreements.models import Agreement
from operations.models import JointOperation


def home(request):
    """The landing page: what the signed-in user may see, newest first."""
    agreements = Agreement.objects.visible_to(request.user).with_status()
    operations = JointOperation.objects.visible_to(request.user).select_related("kind")
    return render(
        request,
        "home.html",
        {
            "agreement_count": agreements.count(),
            "operation_count": operations.count(),
            "recent_agreements": agreements.order_by(F("signed_on").desc(nulls_last=True), "-id")[
                :10
            ],
            "recent_operations": operations.order_by("-started_on", "-id")[:10],
        },
    )
