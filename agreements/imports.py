"""The agreements import: one line per party, with its agreement's reference; one line of
each agreement (any) gives the agreement's columns."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementScope,
    ConsentType,
    CooperationArea,
    PartyRole,
)
from cooperation.importing import (
    CellError,
    Column,
    ImportKind,
    Record,
    Report,
    choice,
    date,
    listed,
    text,
)
from cooperation.models import LONG_TEXT
from cooperation.visibility import Sensitivity
from operations.imports import partners, replace_links, vocabulary


def web_address(raw: str) -> str:
    try:
        URLValidator()(raw)
    except ValidationError:
        raise CellError(f"“{raw}” is not a web address (https://…).") from None
    return text(200)(raw)


web_address.is_text = True


class AgreementImport(ImportKind):
    name = "agreements"
    label = "Agreements with their parties"
    record_model = Agreement
    child_model = AgreementParty
    child_parent_field = "agreement"
    child_key_fields = ("partner",)
    existing_fields = ("scope",)
    record_noun = "agreement"
    child_noun = "party"

    def make_record_columns(self):
        return [
            Column("agreement_ref", text(100), "The agreement's registration or treaty-series "
                   "number: lines with the same reference are one agreement, and a re-import "
                   "updates it.", "UNTS 2026/117", required=True, field="reference"),
            Column("title", text(300), "The full title.", "Agreement on maritime "
                   "cooperation against illicit drug trafficking", required=True,
                   field="title"),
            Column("short_title", text(100), "A short title.", "Maritime agreement",
                   field="short_title"),
            Column("kind", choice(AgreementKind), f"One of {', '.join(AgreementKind.values)}.",
                   AgreementKind.values[0], required=True, field="kind"),
            Column("scope", choice(AgreementScope), "bilateral (exactly two parties) or "
                   "multilateral.", "bilateral", required=True, field="scope"),
            Column("sensitivity", choice(Sensitivity), "public, partners or restricted; "
                   "restricted when empty.", "public", field="sensitivity",
                   blank=Sensitivity.RESTRICTED),
            Column("summary", text(LONG_TEXT), "What it provides for.", "", field="summary"),
            Column("adopted_on", date, "Text adopted, YYYY-MM-DD.", "", field="adopted_on"),
            Column("signed_on", date, "Signed, YYYY-MM-DD.", "2026-02-10", field="signed_on"),
            Column("entry_into_force_on", date, "Entered into force, YYYY-MM-DD.",
                   "2026-05-01", field="entry_into_force_on"),
            Column("expires_on", date, "Expires, YYYY-MM-DD.", "", field="expires_on"),
            Column("suspended_on", date, "Suspended, YYYY-MM-DD.", "", field="suspended_on"),
            Column("terminated_on", date, "Terminated, YYYY-MM-DD.", "",
                   field="terminated_on"),
            Column("source_url", web_address, "Where the text is published.", "",
                   field="source_url"),
            Column("areas", listed(vocabulary(CooperationArea, "cooperation area")),
                   "Areas of cooperation: codes or names separated by “;”. Empty leaves them "
                   "as they are.", "", blank=[]),
        ]  # fmt: skip

    def make_child_columns(self):
        return [
            Column("party", partners(), "The party: a partner's full name, acronym or id.",
                   "Government of Colombia", required=True, field="partner"),
            Column("party_role", choice(PartyRole), f"One of {', '.join(PartyRole.values)}; "
                   "party when empty.", "party", field="role", blank=PartyRole.PARTY),
            Column("party_signed_on", date, "When the party signed, YYYY-MM-DD.",
                   "2026-02-10", field="signed_on"),
            Column("consent_type", choice(ConsentType), "How it consented to be bound: "
                   f"{', '.join(ConsentType.values)}.", "ratification", field="consent_type"),
            Column("consent_on", date, "When it consented, YYYY-MM-DD.", "2026-04-01",
                   field="consent_on"),
            Column("party_in_force_on", date, "In force for the party from, YYYY-MM-DD.",
                   "2026-05-01", field="entry_into_force_on"),
            Column("withdrew_on", date, "Withdrawal took effect, YYYY-MM-DD.", "",
                   field="withdrew_on"),
            Column("party_notes", text(LONG_TEXT), "Reservations, declarations…", "",
                   field="notes"),
        ]  # fmt: skip

    def check(self, records: list[Record], report: Report) -> None:
        """The bilateral rule, over the parties stored and those in the file together."""
        stored: dict[int, dict[int, str]] = {}
        matched = [r.existing["id"] for r in records if r.existing]
        for agreement, partner, role in AgreementParty.objects.filter(
            agreement_id__in=matched
        ).values_list("agreement_id", "partner_id", "role"):
            stored.setdefault(agreement, {})[partner] = role
        for record in records:
            if record.own is None and record.existing is None:
                continue
            roles = dict(stored.get(record.existing["id"], {})) if record.existing else {}
            for party in record.children:
                roles[party.values["party"]] = party.values["party_role"]
            scope = record.own.values["scope"] if record.own else record.existing["scope"]
            error = Agreement.bilateral_party_error(scope, list(roles.values()))
            if error:
                row = record.own.row if record.own else record.rows[0]
                report.add(row, "scope", error)

    def write_links(self, cursor, records, ids, summary, user_id) -> None:
        given = [r for r in records if r.own is not None and r.own.values["areas"]]
        links = [(ids[r.key], area) for r in given for area in r.own.values["areas"]]
        through = Agreement.areas.through._meta.db_table
        summary["areas_changed"] = replace_links(
            cursor,
            through,
            "agreement_id",
            "cooperationarea_id",
            {ids[r.key] for r in given},
            links,
        )
