from django.db import migrations


def create_gin_index(apps, schema_editor):
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS reader_search_vector_gin ON readers_readerprofile USING gin (search_vector)"
    )


def drop_gin_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS reader_search_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("readers", "0001_initial")]

    operations = [migrations.RunPython(create_gin_index, drop_gin_index)]
