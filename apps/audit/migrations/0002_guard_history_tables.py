# Runs after every app that existed when it was written; apps added later get their tables
# guarded by the post_migrate receiver (or `manage.py install_trail_guards`).
from django.db import migrations


def install(apps, schema_editor):
    from apps.trail.guards import install_trail_guards

    install_trail_guards(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("accounts", "0002_staff_roles"),
        ("controllers", "0001_initial"),
        ("data_categories", "0001_initial"),
        ("processors", "0001_initial"),
        ("subprocessors", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
