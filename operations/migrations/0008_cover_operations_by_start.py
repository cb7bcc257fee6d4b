import django.contrib.postgres.operations
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking writes, and the new index is in place before the old one goes.
    atomic = False

    dependencies = [
        ("operations", "0007_index_seizures_by_substance"),
    ]

    operations = [
        django.contrib.postgres.operations.AddIndexConcurrently(
            model_name="jointoperation",
            index=models.Index(
                fields=["started_on", "id"], include=("sensitivity",), name="operation_by_start"
            ),
        ),
        django.contrib.postgres.operations.RemoveIndexConcurrently(
            model_name="jointoperation",
            name="operations__started_740ae2_idx",
        ),
    ]
