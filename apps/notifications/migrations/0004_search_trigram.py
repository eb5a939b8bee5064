"""Trigram indexes for the outbox search (PostgreSQL only; SQLite has no pg_trgm).

The admin searches with UPPER(column) LIKE UPPER('%term%'); a GIN index of the same
expression with gin_trgm_ops answers that without reading the table.
"""

from django.db import migrations

INDEXES = {
    "notification_recipient_trgm": ("notifications_notification", "recipient"),
    "notification_subject_trgm": ("notifications_notification", "subject"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_scale_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
