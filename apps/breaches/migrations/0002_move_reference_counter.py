from django.db import migrations


def move_counters(apps, schema_editor):
    """The shared reference counter (core.ReferenceCounter) takes over this app's numbers."""
    Old = apps.get_model("breaches", "IncidentReferenceCounter")
    Shared = apps.get_model("core", "ReferenceCounter")
    for old in Old.objects.all():
        shared, _ = Shared.objects.get_or_create(prefix="INC", year=old.year)
        if shared.last_number < old.last_number:
            shared.last_number = old.last_number
            shared.save()


def move_back(apps, schema_editor):
    Old = apps.get_model("breaches", "IncidentReferenceCounter")
    Shared = apps.get_model("core", "ReferenceCounter")
    for shared in Shared.objects.filter(prefix="INC"):
        Old.objects.update_or_create(year=shared.year, defaults={"last_number": shared.last_number})


class Migration(migrations.Migration):
    dependencies = [
        ("breaches", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(move_counters, move_back)]
