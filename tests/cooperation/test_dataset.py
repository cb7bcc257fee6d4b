"""The synthetic data set: valid row by row, the same for the same seed, refused twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from agreements.models import Agreement
from cooperation.dataset import Generator, Progress, generate
from operations.models import JointOperation, Participation, Seizure

quiet = Progress(lambda message: None)

FINGERPRINT = """
SELECT md5(string_agg(row_text, '|' ORDER BY row_text)) FROM (
    SELECT concat_ws(',', o.uuid, o.name, o.kind_id, o.status, o.started_on, o.ended_on,
                     o.sensitivity, o.arrests) AS row_text
    FROM operations_jointoperation o
    UNION ALL
    SELECT concat_ws(',', s.operation_id, s.substance_id, s.quantity, s.unit, s.kg_equivalent,
                     s.seized_on, s.country_id)
    FROM operations_seizure s
    UNION ALL
    SELECT concat_ws(',', p.operation_id, partner.name, p.role)
    FROM operations_participation p JOIN cooperation_partner partner ON partner.id = p.partner_id
) rows
"""


def fingerprint() -> str:
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT)
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_it_writes_valid_rows_that_pass_every_deferred_check(monkeypatch):
    # With the row triggers on, COPY queues every FK and bilateral check; running them now
    # proves the generated rows would pass them.
    monkeypatch.setattr(Generator, "_try_replica_role", lambda self, cursor: False)
    counts = generate(300, 5, quiet, vacuum=False)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert JointOperation.objects.count() == counts["operations"] == 300
    assert Seizure.objects.count() == counts["seizures"] > 0
    assert Agreement.objects.count() == counts["agreements"]
    for operation in JointOperation.objects.all()[:50]:
        operation.full_clean()
        assert operation.participations.filter(role="lead").count() == 1
    for seizure in Seizure.objects.select_related("operation")[:50]:
        seizure.full_clean()
        assert seizure.kg_equivalent == seizure.computed_kg_equivalent()
    assert Participation.objects.count() >= 600


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data():
    prints = []
    for _ in range(2):
        with transaction.atomic():
            generate(200, 11, quiet, vacuum=False)
            prints.append(fingerprint())
            transaction.set_rollback(True)
    with transaction.atomic():
        generate(200, 12, quiet, vacuum=False)
        prints.append(fingerprint())
        transaction.set_rollback(True)
    assert prints[0] == prints[1]
    assert prints[0] != prints[2]


@pytest.mark.django_db
def test_loading_a_seed_twice_is_refused_and_changes_nothing():
    generate(50, 3, quiet, vacuum=False)
    before = JointOperation.objects.count()
    with pytest.raises(CommandError, match="seed 3 is already loaded"):
        call_command("generate_dataset", "--operations", "50", "--seed", "3")
    assert JointOperation.objects.count() == before


@pytest.mark.django_db
def test_a_non_positive_size_is_refused():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_dataset", "--operations", "0")
