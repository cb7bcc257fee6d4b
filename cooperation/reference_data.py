"""Loading the reference data the project ships (``<app>/data/*.csv``) into its tables.

Data migrations call :func:`load` so that a fresh database, the test database and production
all hold the same vocabularies. Loading is an upsert on the key column: a later migration can
call it again after a file changes, and running it twice changes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def read_rows(app_label: str, filename: str) -> list[dict[str, str]]:
    path = BASE_DIR / app_label / "data" / filename
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load(
    apps,
    model_label: str,
    filename: str,
    *,
    key: str,
    columns: dict[str, str] | None = None,
    data_app: str | None = None,
) -> int:
    """Upsert the rows of ``filename`` into ``model_label`` (``app.Model``) keyed on ``key``.

    ``columns`` maps CSV columns to model fields where the names differ (a foreign key column
    such as ``region_m49`` to ``region_id``); an empty cell becomes NULL for nullable fields.
    Returns the number of rows in the file.
    """
    model = apps.get_model(model_label)
    columns = columns or {}
    rows = read_rows(data_app or model_label.split(".")[0], filename)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    objects = [
        model(
            **{
                columns.get(column, column): (
                    None if raw == "" and fields[columns.get(column, column)].null else raw
                )
                for column, raw in row.items()
            }
        )
        for row in rows
    ]
    key_field = fields[columns.get(key, key)]
    update_fields = [
        fields[columns.get(column, column)].name
        for column in (rows[0] if rows else {})
        if column != key
    ]
    model.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=[key_field.name],
        update_fields=update_fields,
    )
    return len(rows)
