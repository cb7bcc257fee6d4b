from django.db import migrations

from cooperation.reference_data import load


def load_areas(apps, schema_editor):
    load(apps, "agreements.CooperationArea", "cooperation_areas.csv", key="code")


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_initial")]

    operations = [migrations.RunPython(load_areas, migrations.RunPython.noop)]
