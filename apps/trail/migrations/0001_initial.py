# The trail's two tables were first part of the customer-audits app ("audit"). They move here
# with their rows: the tables are renamed, and their content types (and so their permissions)
# follow, so that existing grants of "view trail entry" stay.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("trailentry", "trailscrub")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        ContentType.objects.using(schema_editor.connection.alias).filter(
            app_label="audit", model=model
        ).update(app_label="trail")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        ContentType.objects.using(schema_editor.connection.alias).filter(
            app_label="trail", model=model
        ).update(app_label="audit")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("audit", "0003_customer_audits"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("controllers", "0002_admin_two_factor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TrailEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("seq", models.BigIntegerField(unique=True)),
                        (
                            "history_model",
                            models.CharField(
                                help_text="Label of the history model.", max_length=150
                            ),
                        ),
                        ("history_id", models.BigIntegerField()),
                        (
                            "object_model",
                            models.CharField(
                                help_text="Label of the tracked model.", max_length=150
                            ),
                        ),
                        ("object_id", models.CharField(max_length=64)),
                        ("object_repr", models.CharField(max_length=300)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        ("history_date", models.DateTimeField()),
                        ("user_repr", models.CharField(blank=True, max_length=254)),
                        (
                            "door",
                            models.CharField(
                                choices=[
                                    ("admin", "Admin"),
                                    ("portal", "Portal"),
                                    ("command", "Command or job"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("change_reason", models.TextField(blank=True)),
                        ("content_hash", models.CharField(max_length=64)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("row_hash", models.CharField(max_length=64)),
                        ("recorded_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "controller",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                help_text="The controller the row belongs to, when it belongs to one.",
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="controllers.controller",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "trail entry",
                        "verbose_name_plural": "audit trail",
                        "default_permissions": ("view",),
                    },
                ),
                migrations.CreateModel(
                    name="TrailScrub",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "fields",
                            models.JSONField(help_text="Names of the fields that were scrubbed."),
                        ),
                        ("reason", models.CharField(max_length=300)),
                        ("scrubbed_at", models.DateTimeField(auto_now_add=True)),
                        ("before_content_hash", models.CharField(max_length=64)),
                        ("after_content_hash", models.CharField(max_length=64)),
                        (
                            "entry",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="scrubs",
                                to="trail.trailentry",
                            ),
                        ),
                        (
                            "scrubbed_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["id"],
                        "default_permissions": ("view",),
                    },
                ),
                migrations.AddIndex(
                    model_name="trailentry",
                    index=models.Index(fields=["-history_date", "-seq"], name="trail_date_seq"),
                ),
                migrations.AddIndex(
                    model_name="trailentry",
                    index=models.Index(
                        fields=["controller", "-history_date", "-seq"], name="trail_controller_date"
                    ),
                ),
                migrations.AddIndex(
                    model_name="trailentry",
                    index=models.Index(
                        fields=["object_model", "object_id", "-history_date", "-seq"],
                        name="trail_object_date",
                    ),
                ),
                migrations.AddIndex(
                    model_name="trailentry",
                    index=models.Index(
                        fields=["user", "-history_date", "-seq"], name="trail_user_date"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="trailentry",
                    constraint=models.UniqueConstraint(
                        fields=("history_model", "history_id"),
                        name="trail_entry_one_per_history_row",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE audit_trailentry RENAME TO trail_trailentry",
                    "ALTER TABLE trail_trailentry RENAME TO audit_trailentry",
                ),
                migrations.RunSQL(
                    "ALTER TABLE audit_trailscrub RENAME TO trail_trailscrub",
                    "ALTER TABLE trail_trailscrub RENAME TO audit_trailscrub",
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
