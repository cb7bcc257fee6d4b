"""The operation journal's parameters: each keeps exactly the entries it names."""

from __future__ import annotations

import datetime

from operations.filters import JournalEntryFilterSet
from operations.models import JournalEntry
from tests import factories
from tests.filters import errors, filtered


def at(*args):
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def entries(params):
    return set(filtered(JournalEntryFilterSet, params))


def test_operation_keeps_the_entries_of_the_operations_named(db):
    operation = factories.JointOperationFactory()
    entry = factories.JournalEntryFactory(operation=operation)
    factories.JournalEntryFactory()

    assert entries({"operation": operation.pk}) == {entry}


def test_kind_keeps_entries_of_the_kinds_named(db):
    lesson = factories.JournalEntryFactory(kind="lesson_learned")
    factories.JournalEntryFactory(kind="situation_report")

    assert entries({"kind": "lesson_learned"}) == {lesson}


def test_an_unknown_kind_is_an_error(db):
    assert "kind" in errors(JournalEntryFilterSet, {"kind": "diary"})


def test_author_partner_keeps_entries_written_for_that_partner(cast):
    for_colombia = factories.JournalEntryFactory(author_partner=cast.colombia)
    factories.JournalEntryFactory(author_partner=cast.peru)
    factories.JournalEntryFactory(author_partner=None)

    assert entries({"author_partner": cast.colombia.pk}) == {for_colombia}


def test_occurred_after_keeps_entries_from_that_moment_on(db):
    before = factories.JournalEntryFactory(occurred_at=at(2020, 5, 1, 7, 59))
    after = factories.JournalEntryFactory(occurred_at=at(2020, 5, 1, 8, 0))

    assert entries({"occurred_after": "2020-05-01T08:00Z"}) == {after}
    assert entries({"occurred_after": "2020-05-01"}) == {before, after}


def test_occurred_before_with_a_bare_date_keeps_the_whole_of_that_day(db):
    late_that_day = factories.JournalEntryFactory(occurred_at=at(2020, 5, 1, 23, 59, 59))
    factories.JournalEntryFactory(occurred_at=at(2020, 5, 2, 0, 0))

    assert entries({"occurred_before": "2020-05-01"}) == {late_that_day}
    assert entries({"occurred_before": "2020-05-01T12:00:00Z"}) == set()


def test_a_bad_occurrence_moment_is_an_error(db):
    assert "occurred_after" in errors(JournalEntryFilterSet, {"occurred_after": "noon"})


def test_q_keeps_entries_with_every_word_in_title_or_body(db):
    in_title = factories.JournalEntryFactory(title="Vessel boarded", body="No resistance.")
    in_body = factories.JournalEntryFactory(title="Day two", body="The vessel was boarded.")
    factories.JournalEntryFactory(title="Vessel sighted", body="Shadowing it.")

    assert entries({"q": "vessel boarded"}) == {in_title, in_body}


def test_updated_since_keeps_entries_changed_at_or_after_that_moment(db):
    stale = factories.JournalEntryFactory()
    fresh = factories.JournalEntryFactory()
    JournalEntry.objects.filter(pk=stale.pk).update(updated_at=at(2024, 2, 1))
    JournalEntry.objects.filter(pk=fresh.pk).update(updated_at=at(2024, 2, 2))

    assert entries({"updated_since": "2024-02-01T00:00:01Z"}) == {fresh}


def test_ordering_sorts_entries_by_the_fields_named(db):
    first = factories.JournalEntryFactory(occurred_at=at(2020, 5, 1, 8))
    second = factories.JournalEntryFactory(occurred_at=at(2020, 5, 1, 9))

    assert filtered(JournalEntryFilterSet, {"ordering": "occurred_at"}) == [first, second]
    assert filtered(JournalEntryFilterSet, {"ordering": "-occurred_at"}) == [second, first]


def test_an_unknown_ordering_is_an_error(db):
    assert "ordering" in errors(JournalEntryFilterSet, {"ordering": "author"})
