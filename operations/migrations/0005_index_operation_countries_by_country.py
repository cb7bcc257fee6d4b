"""Operations by country: "which operations took place in COL?" is answered from the index
alone. The link table is Django's own (countries is a plain many-to-many), so the index is
added in SQL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("operations", "0004_index_rows_by_partner")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX operation_countries_by_country "
            "ON operations_jointoperation_countries (country_id, jointoperation_id)",
            "DROP INDEX operation_countries_by_country",
        )
    ]
