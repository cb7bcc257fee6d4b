import django.contrib.postgres.indexes
import django.contrib.postgres.operations
import django.contrib.postgres.search
from django.db import migrations


class Migration(migrations.Migration):
    # Built without locking writes: the tables can be large by the time this runs.
    atomic = False

    dependencies = [
        ("operations", "0005_index_operation_countries_by_country"),
    ]

    operations = [
        django.contrib.postgres.operations.AddIndexConcurrently(
            model_name="jointoperation",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.SearchVector(
                        "name", config="english", weight="A"
                    ),
                    "||",
                    django.contrib.postgres.search.SearchVector(
                        "summary", config="english", weight="B"
                    ),
                    django.contrib.postgres.search.SearchConfig("english"),
                ),
                name="operation_search",
            ),
        ),
        django.contrib.postgres.operations.AddIndexConcurrently(
            model_name="journalentry",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.SearchVector(
                        "title", config="english", weight="A"
                    ),
                    "||",
                    django.contrib.postgres.search.SearchVector(
                        "body", config="english", weight="B"
                    ),
                    django.contrib.postgres.search.SearchConfig("english"),
                ),
                name="journal_entry_search",
            ),
        ),
    ]
