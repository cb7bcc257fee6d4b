"""Tombstones for the deletions feed: every deleted record or child row leaves a
:class:`~cooperation.models.Deletion` carrying the audience it had, written in the same
transaction as the delete (a delete that rolls back leaves no tombstone)."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import pre_delete

from cooperation.visibility import Sensitivity

# model label -> (API resource, path from the row to the record whose audience it shares)
TRACKED: dict[str, tuple[str, str | None]] = {
    "cooperation.Partner": ("partners", None),
    "agreements.Agreement": ("agreements", ""),
    "agreements.AgreementParty": ("agreement-parties", "agreement"),
    "operations.JointOperation": ("operations", ""),
    "operations.Participation": ("participations", "operation"),
    "operations.LegalBasis": ("legal-bases", "operation"),
    "operations.Seizure": ("seizures", "operation"),
    "operations.CommunityImpactReport": ("impact-reports", "operation"),
    "operations.JournalEntry": ("journal-entries", "operation"),
}


def audience(instance, parent_path: str | None) -> tuple[str, list[int]]:
    """The sensitivity and entitled partners of ``instance`` (or of the record it belongs
    to); partners themselves are public."""
    if parent_path is None:
        return Sensitivity.PUBLIC, []
    record = getattr(instance, parent_path) if parent_path else instance
    model = type(record)
    return model.objects.filter(pk=record.pk).audiences()[record.pk]


def record_deletion(sender, instance, **kwargs) -> None:
    from cooperation.models import Deletion

    resource, parent_path = TRACKED[sender._meta.label]
    sensitivity, partner_ids = audience(instance, parent_path)
    Deletion.objects.create(
        resource=resource,
        object_id=instance.pk,
        object_uuid=getattr(instance, "uuid", None),
        sensitivity=sensitivity,
        partner_ids=partner_ids,
    )


def connect() -> None:
    for label in TRACKED:
        pre_delete.connect(
            record_deletion, sender=apps.get_model(label), dispatch_uid=f"deletion:{label}"
        )
