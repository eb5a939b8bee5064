"""Upheld objections record their consequence (the constraints follow in 0004).

An objection upheld before this field existed was shown as "Upheld: change not applied for this
customer", so it gets that consequence ("not_used"), with a history row written through the
frozen history model and marked for the audit trail, as the application marks rows it writes in
bulk (apps.trail.services.trail_mark_rows). The constraints follow.
"""

from django.db import migrations
from django.utils import timezone

LEGACY_UPHELD_REASON = "subprocessors.objection.consequence_recorded"


def record_legacy_consequences(apps, schema_editor):
    using = schema_editor.connection.alias
    Objection = apps.get_model("subprocessors", "Objection")
    HistoricalObjection = apps.get_model("subprocessors", "HistoricalObjection")
    now = timezone.now()
    history_ids = []
    for objection in Objection.objects.using(using).filter(status="upheld", consequence=""):
        objection.consequence, objection.updated_at = "not_used", now
        objection.save(update_fields=["consequence", "updated_at"])
        # A frozen model sends no simple-history signal: the row is written as it would write it.
        row = HistoricalObjection(
            history_date=now,
            history_type="~",
            history_change_reason=LEGACY_UPHELD_REASON,
            history_user=None,
            **{f.attname: getattr(objection, f.attname) for f in Objection._meta.concrete_fields},
        )
        row.save(using=using)
        history_ids.append(row.history_id)
    if history_ids:
        # Imported here: the trail's marking runs on the current models, which at this point
        # of the migrations match the tables written above.
        from django.apps import apps as current_apps

        from apps.trail.services import trail_mark_rows

        trail_mark_rows(
            history_model=current_apps.get_model("subprocessors", "HistoricalObjection"),
            ids=history_ids,
            using=using,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("subprocessors", "0002_objection_consequence"),
        ("trail", "0003_door_api"),
    ]

    # Going back leaves the consequences recorded: the field they sit in goes with 0002.
    operations = [
        migrations.RunPython(record_legacy_consequences, migrations.RunPython.noop, elidable=False)
    ]
