"""The operations import: every row error reported at once, the two modes, upserts on the
natural keys, and the import as one change set of the history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from cooperation import importing
from cooperation.history import change_sets, timeline
from operations.imports import OperationImport
from operations.models import JointOperation, Participation, Seizure

pytestmark = pytest.mark.django_db

HEADER = (
    "operation_ref,name,kind,status,started_on,ended_on,sensitivity,countries,partners,"
    "arrests,seizure_ref,substance,quantity,unit,seized_on,seizure_country,notes"
)
GOOD = [
    "OP-1,Operation Tide,maritime_interdiction,completed,2024-03-01,2024-03-31,public,COL;PAN,"
    "Government of Colombia: lead;Colombian Navy,4,S-1,cocaine,1250.5,kg,2024-03-09,COL,",
    "OP-1,,,,,,,,,,S-2,heroin,20,kg,2024-03-10,,",
    "OP-2,Operation Ridge,raid,active,2024-05-01,,partners,PER,Government of Peru,0,S-1,"
    "cannabis_herb,300,g,2024-05-02,PER,",
]
BAD = [
    # missing field (the seizure's substance)
    "OP-3,Operation Gap,raid,active,2024-06-01,,restricted,,,0,S-1,,5,kg,2024-06-02,,",
    # unknown partner
    "OP-4,Operation Ghost,raid,active,2024-06-01,,restricted,,Nowhere Police,0,,,,,,,",
    # bad date
    "OP-2,,,,,,,,,,S-2,cocaine,3,kg,2024-13-45,,",
    # negative quantity
    "OP-2,,,,,,,,,,S-3,cocaine,-3,kg,2024-05-03,,",
    # duplicate key (seizure S-1 of OP-1 again)
    "OP-1,,,,,,,,,,S-1,cocaine,7,kg,2024-03-11,,",
    # wrong unit
    "OP-2,,,,,,,,,,S-4,cocaine,3,lbs,2024-05-03,,",
    # a formula in a cell
    'OP-2,,,,,,,,,,S-5,cocaine,3,kg,2024-05-03,,"=HYPERLINK(""http://x"")"',
]


def csv_file(*lines: str) -> bytes:
    return "\n".join([HEADER, *lines]).encode()


def run(user, data: bytes, *, skip=False, write=True, filename="seizures.csv", partner=None):
    return importing.run(
        OperationImport(),
        filename=filename,
        data=data,
        user=user,
        author_partner_id=partner,
        skip_bad_rows=skip,
        write=write,
    )


@pytest.fixture
def officer(cast):
    return cast.officer


def problems(outcome) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in outcome.problems}


def test_the_dry_run_reports_every_bad_row_at_once(cast, officer):
    outcome = run(officer, csv_file(*GOOD, *BAD), write=False, partner=cast.colombia.pk)
    assert problems(outcome) == {
        (5, "substance"),
        (6, "partners"),
        (7, "seized_on"),
        (8, "quantity"),
        (9, "seizure_ref"),
        (10, "unit"),
        (11, "notes"),
    }
    messages = {p.row: p.message for p in outcome.problems}
    assert messages[5] == "Missing value: this column is required."
    assert "Unknown partner “Nowhere Police”" in messages[6]
    assert "is not a date" in messages[7]
    assert messages[8] == "A seized quantity must be greater than zero."  # the model's own
    assert "already in row 2" in messages[9]
    assert "“lbs” is not one of" in messages[10]
    assert "formula" in messages[11]
    assert JointOperation.objects.count() == 0


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(cast, officer):
    outcome = run(officer, csv_file(*GOOD, *BAD), partner=cast.colombia.pk)
    assert outcome.problems and outcome.change_set is None
    assert JointOperation.objects.count() == Seizure.objects.count() == 0


def test_skip_mode_writes_only_the_good_rows(cast, officer):
    outcome = run(officer, csv_file(*GOOD, *BAD), skip=True, partner=cast.colombia.pk)
    assert len(outcome.problems) == 7
    assert set(outcome.summary["skipped_rows"]) == {5, 6, 7, 8, 9, 10, 11}
    operations = {o.reference: o for o in JointOperation.objects.all()}
    # OP-3 (its one seizure bad) is kept without it; OP-4 (its own columns bad) is not.
    assert sorted(operations) == ["OP-1", "OP-2", "OP-3"]
    tide = operations["OP-1"]
    assert tide.name == "Operation Tide" and tide.arrests == 4
    assert tide.author_partner == cast.colombia and tide.review_state == "draft"
    assert tide.created_by == officer
    assert sorted(tide.countries.values_list("iso3", flat=True)) == ["COL", "PAN"]
    assert {(p.partner.name, p.role) for p in tide.participations.all()} == {
        ("Government of Colombia", "lead"),
        ("Colombian Navy", "partner"),
    }
    seizures = {(s.operation.reference, s.reference): s for s in Seizure.objects.all()}
    assert sorted(seizures) == [("OP-1", "S-1"), ("OP-1", "S-2"), ("OP-2", "S-1")]
    first = seizures[("OP-1", "S-1")]
    assert first.quantity == Decimal("1250.5") and first.kg_equivalent == Decimal("1250.5")
    assert first.seized_on == datetime.date(2024, 3, 9) and first.country_id == "COL"
    assert seizures[("OP-2", "S-1")].kg_equivalent == Decimal("0.3")
    assert outcome.summary["records_created"] == 3 and outcome.summary["rows_created"] == 3


def test_reimporting_the_same_file_changes_nothing(cast, officer):
    data = csv_file(*GOOD)
    first = run(officer, data, partner=cast.colombia.pk)
    assert not first.problems
    stamps = sorted(JointOperation.objects.values_list("id", "updated_at"))
    seizure_stamps = sorted(Seizure.objects.values_list("id", "updated_at"))
    events = len(timeline(JointOperation.objects.get(reference="OP-1"), officer))
    again = run(officer, data, partner=cast.colombia.pk)
    assert not again.problems
    assert again.summary["records_created"] == again.summary["records_updated"] == 0
    assert again.summary["rows_created"] == again.summary["rows_updated"] == 0
    assert again.summary["participants_changed"] == again.summary["countries_changed"] == 0
    assert sorted(JointOperation.objects.values_list("id", "updated_at")) == stamps
    assert sorted(Seizure.objects.values_list("id", "updated_at")) == seizure_stamps
    assert len(timeline(JointOperation.objects.get(reference="OP-1"), officer)) == events


def test_a_changed_file_updates_in_place(cast, officer):
    run(officer, csv_file(*GOOD), partner=cast.colombia.pk)
    changed = [
        GOOD[0].replace(",4,S-1,", ",9,S-1,").replace("Colombian Navy", "Colombian Navy: lead")
        .replace("Government of Colombia: lead", "Government of Colombia"),
        GOOD[1].replace(",20,kg,", ",25,kg,"),
    ]  # fmt: skip
    outcome = run(officer, csv_file(*changed), partner=cast.colombia.pk)
    assert not outcome.problems, outcome.problems
    assert outcome.summary["records_updated"] == 1 and outcome.summary["rows_updated"] == 1
    tide = JointOperation.objects.get(reference="OP-1")
    assert tide.arrests == 9
    assert tide.lead.name == "Colombian Navy"
    assert Seizure.objects.get(operation=tide, reference="S-2").quantity == 25
    assert JointOperation.objects.count() == 2 and Seizure.objects.count() == 3
    # The history holds the change, field by field, once, in the import's change set.
    (latest, _) = change_sets(timeline(tide, officer))
    assert latest.id == outcome.change_set and latest.source == "import"
    changed = {(e.part, e.action): e for e in latest.entries}
    seizure = changed[("seizure", "changed")]
    assert [(c.field, c.old, c.new) for c in seizure.changes] == [("quantity", 20, 25)]
    operation = changed[("joint operation", "changed")]
    assert [(c.field, c.old, c.new) for c in operation.changes] == [("arrests", 4, 9)]
    assert sum(e.part == "seizure" for e in latest.entries) == 1


def test_the_import_is_one_change_set_with_its_actor(cast, officer):
    outcome = run(officer, csv_file(*GOOD), partner=cast.colombia.pk)
    tide = JointOperation.objects.get(reference="OP-1")
    sets = change_sets(timeline(tide, officer))
    assert [s.id for s in sets] == [outcome.change_set]  # the whole import: one change set
    (change_set,) = sets
    assert change_set.actor == officer.username
    assert change_set.source == "import"
    assert change_set.reason == "Import of seizures.csv"
    parts = sorted((e.part, e.action) for e in change_set.entries)
    assert parts.count(("seizure", "created")) == 2
    assert parts.count(("participation", "created")) == 2
    assert ("joint operation", "created") in parts


def test_lines_without_the_operation_columns_add_to_a_stored_operation(cast, officer):
    run(officer, csv_file(*GOOD), partner=cast.colombia.pk)
    outcome = run(
        officer,
        csv_file("OP-2,,,,,,,,,,S-9,cocaine,1,kg,2024-05-20,,", "OP-9,,,,,,,,,,S-1,cocaine,1,kg,"
                 "2024-05-20,,", "OP-2,,,,,,,,,,S-10,cocaine,1,kg,2024-04-20,,"),
        skip=True,
        partner=cast.colombia.pk,
    )  # fmt: skip
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "operation_ref"), (4, "seized_on")]
    assert "No operation “OP-9” yet" in outcome.problems[0].message
    assert "outside the operation's dates" in outcome.problems[1].message
    assert Seizure.objects.filter(operation__reference="OP-2").count() == 2


def test_the_models_constraints_are_the_imports_rules(cast, officer):
    outcome = run(
        officer,
        csv_file(
            "OP-5,Late,raid,completed,2024-06-10,2024-06-01,public,,,0,,,,,,,",
            "OP-6,Open,raid,completed,2024-06-10,,public,,A: lead;B: lead,0,,,,,,,",
            "OP-7,Odd,raid,active,2024-06-10,,public,,,0,S-1,cocaine,5,kg,2024-06-11,,",
        ).replace(b"A: lead;B: lead", b"Government of Peru: lead;Colombian Navy: lead"),
        write=False,
        partner=cast.colombia.pk,
    )
    messages = {(p.row, p.column): p.message for p in outcome.problems}
    assert messages == {
        (2, "ended_on"): "An operation cannot end before it started.",
        (3, "ended_on"): "A completed operation needs an end date.",
        (3, "partners"): "An operation has one lead partner.",
    }


def test_records_of_another_partner_are_never_matched(cast, officer):
    run(officer, csv_file(*GOOD), partner=cast.colombia.pk)
    run(cast.outsider, csv_file(*GOOD), partner=cast.peru.pk)
    assert JointOperation.objects.filter(reference="OP-1").count() == 2
    assert set(JointOperation.objects.values_list("author_partner", flat=True)) == {
        cast.colombia.pk,
        cast.peru.pk,
    }


def test_a_file_that_is_not_a_table_is_refused_whole(officer):
    with pytest.raises(importing.ImportFileError, match=r"\.csv or \.xlsx"):
        run(officer, b"x", filename="seizures.pdf")
    with pytest.raises(importing.ImportFileError, match="UTF-8"):
        run(officer, "operation_ref\nÖ".encode("latin-1"))
    outcome = run(officer, b"operation_ref,colour\nOP-1,red\n", write=False)
    assert [(p.row, p.column) for p in outcome.problems] == [
        (1, name)
        for name in sorted(
            [
                "colour",
                "name",
                "kind",
                "started_on",
                "seizure_ref",
                "substance",
                "quantity",
                "unit",
                "seized_on",
            ]
        )
    ]


def test_participants_and_countries_follow_the_file(cast, officer):
    run(officer, csv_file(*GOOD), partner=cast.colombia.pk)
    tide = JointOperation.objects.get(reference="OP-1")
    line = GOOD[0].replace("COL;PAN", "ECU").replace(";Colombian Navy", "")
    outcome = run(officer, csv_file(line), partner=cast.colombia.pk)
    assert not outcome.problems
    assert list(tide.countries.values_list("iso3", flat=True)) == ["ECU"]
    assert list(
        Participation.objects.filter(operation=tide).values_list("partner__name", flat=True)
    ) == ["Government of Colombia"]
