import django.contrib.postgres.indexes
import django.contrib.postgres.operations
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking writes: the tables can be large by the time this runs.
    atomic = False

    dependencies = [
        ("agreements", "0007_index_rows_by_partner"),
    ]

    operations = [
        django.contrib.postgres.operations.AddIndexConcurrently(
            model_name="agreement",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.CombinedSearchVector(
                            django.contrib.postgres.search.SearchVector(
                                "title", config="english", weight="A"
                            ),
                            "||",
                            django.contrib.postgres.search.SearchVector(
                                "short_title", config="english", weight="A"
                            ),
                            django.contrib.postgres.search.SearchConfig("english"),
                        ),
                        "||",
                        django.contrib.postgres.search.SearchVector(
                            models.Func(
                                models.F("reference"),
                                models.Value("/.-_:"),
                                models.Value("     "),
                                function="translate",
                                output_field=models.TextField(),
                            ),
                            config="english",
                            weight="A",
                        ),
                        django.contrib.postgres.search.SearchConfig("english"),
                    ),
                    "||",
                    django.contrib.postgres.search.SearchVector(
                        "summary", config="english", weight="B"
                    ),
                    django.contrib.postgres.search.SearchConfig("english"),
                ),
                name="agreement_search",
            ),
        ),
    ]
