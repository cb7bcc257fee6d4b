"""The words of a record, as full-text search reads them: one home for each searchable model's
document, shared by its GIN index (declared in the model's ``Meta.indexes``) and by the
search page's queries.

PostgreSQL uses an expression index only for the very expression it was built on, in the same
text-search configuration: so the document is defined once here, and every query and index
says :data:`CONFIG`. Title-like fields weigh ``A``, longer text ``B``, so that a word in a
title ranks above the same word in a summary.

This module imports no model: models import it for their indexes.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db.models import F, Func, TextField, Value

# English stemming: "seizures" finds "seizure". Index and queries must agree on it.
CONFIG = "english"


def spaced(field: str) -> Func:
    """A code-like field (``SHIP/RIDER/1997``, ``UNODC-led``) with its separators turned into
    spaces, so that each part is a word of its own rather than one path-like token."""
    return Func(
        F(field), Value("/.-_:"), Value("     "), function="translate", output_field=TextField()
    )


def document(*weighted) -> SearchVector:
    """``(field or expression, weight)`` pairs, as one weighted ``tsvector``."""
    vectors = [SearchVector(field, config=CONFIG, weight=weight) for field, weight in weighted]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return combined


AGREEMENT = document(
    ("title", "A"), ("short_title", "A"), (spaced("reference"), "A"), ("summary", "B")
)
OPERATION = document(("name", "A"), ("summary", "B"))
PARTNER = document(("name", "A"), ("acronym", "A"), ("description", "B"))
JOURNAL_ENTRY = document(("title", "A"), ("body", "B"))


def index(expression: SearchVector, name: str) -> GinIndex:
    return GinIndex(expression, name=name)
