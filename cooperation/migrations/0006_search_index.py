import django.contrib.postgres.indexes
import django.contrib.postgres.operations
import django.contrib.postgres.search
from django.db import migrations


class Migration(migrations.Migration):
    # Built without locking writes: the tables can be large by the time this runs.
    atomic = False

    dependencies = [
        ("cooperation", "0005_constraint_messages_name_their_field"),
    ]

    operations = [
        django.contrib.postgres.operations.AddIndexConcurrently(
            model_name="partner",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.SearchVector(
                            "name", config="english", weight="A"
                        ),
                        "||",
                        django.contrib.postgres.search.SearchVector(
                            "acronym", config="english", weight="A"
                        ),
                        django.contrib.postgres.search.SearchConfig("english"),
                    ),
                    "||",
                    django.contrib.postgres.search.SearchVector(
                        "description", config="english", weight="B"
                    ),
                    django.contrib.postgres.search.SearchConfig("english"),
                ),
                name="partner_search",
            ),
        ),
    ]
