from django.db import migrations

from cooperation.reference_data import load


def load_vocabularies(apps, schema_editor):
    load(apps, "operations.OperationKind", "operation_kinds.csv", key="code")
    load(apps, "operations.Technology", "technologies.csv", key="code")
    load(apps, "operations.SubstanceGroup", "substance_groups.csv", key="code")
    load(apps, "operations.Substance", "substances.csv", key="code", columns={"group": "group_id"})


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]

    operations = [migrations.RunPython(load_vocabularies, migrations.RunPython.noop)]
