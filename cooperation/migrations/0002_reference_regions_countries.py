from django.db import migrations

from cooperation.reference_data import load


def load_regions_and_countries(apps, schema_editor):
    # Regions refer to their parent: load the levels top-down.
    load(apps, "cooperation.Region", "regions.csv", key="m49", columns={"parent_m49": "parent_id"})
    load(
        apps,
        "cooperation.Country",
        "countries.csv",
        key="iso3",
        columns={
            "region_m49": "region_id",
            "subregion_m49": "subregion_id",
            "intermediate_m49": "intermediate_region_id",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0001_initial")]

    operations = [
        migrations.RunPython(load_regions_and_countries, migrations.RunPython.noop),
    ]
