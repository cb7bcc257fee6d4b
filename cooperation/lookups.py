"""``field__any=[…]``: membership in a list sent as one array parameter.

``__in`` sends one query parameter per value, each prepared and spliced into the SQL text;
for the thousand keys of a page of rows that preparation costs more than the query. Here the
whole list is a single PostgreSQL array: ``field = ANY(%s)``.
"""

from __future__ import annotations

from django.db import models


@models.Field.register_lookup
class AnyOf(models.Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


# Foreign keys keep their own table of lookups.
models.ForeignObject.register_lookup(AnyOf)
