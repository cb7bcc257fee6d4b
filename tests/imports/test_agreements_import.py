"""The agreements import: parties as rows, the bilateral rule over stored and imported
parties, the agreements' own constraints, and XLSX files read like CSV."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest

from agreements.imports import AgreementImport
from agreements.models import Agreement, AgreementParty
from cooperation import importing

pytestmark = pytest.mark.django_db

HEADER = [
    "agreement_ref", "title", "kind", "scope", "sensitivity", "signed_on",
    "entry_into_force_on", "areas", "party", "party_role", "consent_type", "consent_on",
]  # fmt: skip


def run(user, partner, rows, *, filename="agreements.csv", write=True, skip=False, xlsx=False):
    if xlsx:
        book = openpyxl.Workbook()
        for row in [HEADER, *rows]:
            book.active.append(row)
        out = io.BytesIO()
        book.save(out)
        data, filename = out.getvalue(), "agreements.xlsx"
    else:
        data = "\n".join(",".join(str(c) for c in row) for row in [HEADER, *rows]).encode()
    return importing.run(
        AgreementImport(),
        filename=filename,
        data=data,
        user=user,
        author_partner_id=partner,
        skip_bad_rows=skip,
        write=write,
    )


def bilateral(ref="A-1"):
    first = [ref, "Maritime agreement", "treaty", "bilateral", "public", "2024-01-10"]
    first += ["2024-03-01", "", "Government of Colombia", "party", "ratification", "2024-02-01"]
    second = [ref, "", "", "", "", "", "", "", "Government of Peru", "party", "", ""]
    return [first, second]


def test_an_agreement_and_its_parties_are_imported_and_reimported_unchanged(cast):
    outcome = run(cast.officer, cast.colombia.pk, bilateral())
    assert not outcome.problems, outcome.problems
    agreement = Agreement.objects.get(reference="A-1")
    assert agreement.scope == "bilateral" and agreement.signed_on == datetime.date(2024, 1, 10)
    assert agreement.author_partner == cast.colombia and agreement.review_state == "draft"
    parties = {p.partner.name: p for p in agreement.parties.all()}
    assert sorted(parties) == ["Government of Colombia", "Government of Peru"]
    assert parties["Government of Colombia"].consent_on == datetime.date(2024, 2, 1)
    again = run(cast.officer, cast.colombia.pk, bilateral())
    assert again.summary["records_updated"] == again.summary["rows_updated"] == 0
    assert again.summary["records_created"] == again.summary["rows_created"] == 0
    assert AgreementParty.objects.count() == 2


def test_the_bilateral_rule_and_the_agreements_constraints_are_checked(cast):
    one_party = bilateral("A-2")[:1]
    early = bilateral("A-3")
    early[0][6] = "2023-01-01"  # in force before signature
    no_consent_date = bilateral("A-4")
    no_consent_date[0][11] = ""
    outcome = run(
        cast.officer, cast.colombia.pk, [*one_party, *early, *no_consent_date], write=False
    )
    assert {(p.row, p.column): p.message for p in outcome.problems} == {
        (2, "scope"): "A bilateral agreement has exactly two parties; this one has 1.",
        (3, "entry_into_force_on"): "An agreement enters into force on or after its signature.",
        (5, "consent_on"): "Consent to be bound needs both its kind and its date.",
    }


def test_an_xlsx_file_is_read_like_a_csv_and_its_formulas_refused(cast):
    rows = bilateral()
    rows[0][5] = datetime.date(2024, 1, 10)  # a real date cell
    rows[1][9] = "=1+1"
    outcome = run(cast.officer, cast.colombia.pk, rows, xlsx=True, write=False)
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "party_role")]
    assert "formula" in outcome.problems[0].message
    rows[1][9] = "party"
    outcome = run(cast.officer, cast.colombia.pk, rows, xlsx=True)
    assert not outcome.problems
    assert Agreement.objects.get(reference="A-1").signed_on == datetime.date(2024, 1, 10)


def test_a_broken_workbook_is_refused_whole(cast):
    with pytest.raises(importing.ImportFileError, match="XLSX"):
        importing.run(
            AgreementImport(), filename="a.xlsx", data=b"PK\x03\x04 not a zip", user=cast.officer,
            author_partner_id=None, skip_bad_rows=False, write=False,
        )  # fmt: skip
