from __future__ import annotations

from cooperation.tables import Column, Table


class AgreementTable(Table):
    columns = (
        Column("title", "Agreement", accessor=str, sort="title", link=True),
        Column("kind", "Kind"),
        Column("scope", "Scope"),
        Column("status", "Status"),
        Column("signed_on", "Signed", sort="signed_on"),
        Column("entry_into_force_on", "In force since", sort="entry_into_force_on"),
        Column("expires_on", "Expires", sort="expires_on"),
        Column("party_count", "Parties", numeric=True),
        Column("sensitivity", "Sensitivity", badge=True),
    )
    empty = "No agreement you may see matches these filters."
