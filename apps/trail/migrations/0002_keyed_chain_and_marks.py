# The chain becomes keyed (HMAC-SHA256 under AUDIT_CHAIN_KEY) and covers every field an entry
# shows. Existing entries are first verified as the plain SHA-256 chain they were written as; if
# that chain is intact they are sealed again under the current key, else the migration stops.
# Marks (TrailMark) let the application chain after commit instead of under a global lock.

import hashlib
import hmac
import json

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _canonical(data):
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


SEALED_FIELDS = (
    "history_model",
    "history_id",
    "object_model",
    "object_id",
    "object_repr",
    "history_type",
    "history_date",
    "user_id",
    "user_repr",
    "door",
    "change_reason",
    "controller_id",
    "content_hash",
)
GENESIS = "0" * 64


def _legacy_link(entry):
    payload = _canonical(
        {
            "seq": entry.seq,
            "door": entry.door,
            "history_model": entry.history_model,
            "history_id": entry.history_id,
            "content_hash": entry.content_hash,
        }
    )
    return hashlib.sha256(((entry.prev_hash or GENESIS) + payload).encode("utf-8")).hexdigest()


def _keyed_link(entry, key_id, secret):
    message = _canonical(
        {
            "seq": entry.seq,
            "prev_hash": entry.prev_hash or GENESIS,
            "key_id": key_id,
            "entry": {name: _plain(getattr(entry, name)) for name in SEALED_FIELDS},
        }
    )
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def rekey(apps, schema_editor):
    TrailEntry = apps.get_model("trail", "TrailEntry")
    connection = schema_editor.connection
    key_id = settings.AUDIT_CHAIN_KEY_ID
    secret = settings.AUDIT_CHAIN_KEYS[key_id]
    entries = list(TrailEntry.objects.using(connection.alias).order_by("seq"))
    if not entries:
        return
    prev_hash, prev_seq = GENESIS, 0
    for entry in entries:
        if entry.seq != prev_seq + 1 or entry.prev_hash != prev_hash:
            raise RuntimeError(f"audit trail broken at entry #{entry.seq}; not re-keyed")
        if entry.row_hash != _legacy_link(entry):
            raise RuntimeError(f"audit trail entry #{entry.seq} was altered; not re-keyed")
        prev_hash, prev_seq = entry.row_hash, entry.seq
    guarded = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'audit_trail_guard' "
                "AND tgrelid = 'trail_trailentry'::regclass"
            )
            guarded = cursor.fetchone() is not None
    if guarded:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE trail_trailentry DISABLE TRIGGER audit_trail_guard")
    prev_hash = GENESIS
    for entry in entries:
        entry.prev_hash = prev_hash
        entry.key_id = key_id
        entry.row_hash = _keyed_link(entry, key_id, secret)
        prev_hash = entry.row_hash
    TrailEntry.objects.using(connection.alias).bulk_update(
        entries, ["prev_hash", "key_id", "row_hash"], batch_size=2000
    )
    if guarded:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE trail_trailentry ENABLE TRIGGER audit_trail_guard")


class Migration(migrations.Migration):
    dependencies = [
        ("trail", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("controllers", "0002_admin_two_factor"),
    ]

    operations = [
        migrations.AddField(
            model_name="trailentry",
            name="key_id",
            field=models.CharField(
                default="", help_text="The chain key that signed this.", max_length=20
            ),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="TrailMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "history_model",
                    models.CharField(help_text="Label of the history model.", max_length=150),
                ),
                ("history_id", models.BigIntegerField()),
                (
                    "object_model",
                    models.CharField(help_text="Label of the tracked model.", max_length=150),
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
                (
                    "key_id",
                    models.CharField(help_text="The chain key that signed this.", max_length=20),
                ),
                ("mark", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
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
                "default_permissions": ("view",),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("history_model", "history_id"),
                        name="trail_mark_one_per_history_row",
                    )
                ],
            },
        ),
        migrations.RunPython(rekey, migrations.RunPython.noop),
    ]
