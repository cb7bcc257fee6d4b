import django.contrib.postgres.operations
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking writes: seizures can be many by the time this runs.
    atomic = False

    dependencies = [
        ("cooperation", "0006_search_index"),
        ("operations", "0006_search_indexes"),
    ]

    operations = [
        django.contrib.postgres.operations.AddIndexConcurrently(
            model_name="seizure",
            index=models.Index(fields=["substance", "operation"], name="seizure_by_substance"),
        ),
    ]
