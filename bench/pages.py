"""The benchmarked pages of one database, their query counts, and the exports' peak memory.

Run with the project's settings (DATABASE_URL set): `python bench/pages.py OUT.json`.
Writes {"pages": [[name, door, path, queries], ...], "export_peak": {...}, "rows": {...},
"totp_key": ...}. Query counts come from Django's test client in this process, counted with
CaptureQueriesContext (the same way the test suite counts them); the exports' peak is
tracemalloc's peak while the whole streamed response is read.
"""

import json
import os
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.audit.models import TrailEntry  # noqa: E402
from apps.controllers.models import Controller  # noqa: E402
from apps.demo.management.commands.seed_demo import DEMO_DEVICE  # noqa: E402
from apps.processors.models import ProcessingActivity  # noqa: E402

STAFF = "privacy@calljmp.example"
CUSTOMER = "bea@birch-health.example"
HISTORY_PAGES = ["dsar.DsarTicket", "controllers.Controller", "breaches.BreachIncident"]


def pages():
    found = []
    for model in admin.site._registry:
        if not model._meta.app_config.name.startswith("apps."):
            continue
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        label = model._meta.label
        found.append((f"admin {label} list", "admin", reverse(f"admin:{info}_changelist")))
        obj = model._default_manager.order_by("-pk").first()
        if obj is not None:
            found.append(
                (f"admin {label} change", "admin", reverse(f"admin:{info}_change", args=[obj.pk]))
            )
            if label in HISTORY_PAGES:
                found.append(
                    (
                        f"admin {label} history",
                        "admin",
                        reverse(f"admin:{info}_history", args=[obj.pk]),
                    )
                )
    controller = Controller.objects.get(legal_name="Birch Health GmbH")
    found += [
        ("audit trail of one controller", "admin",
         reverse("admin:trail_trailentry_changelist") + f"?controller={controller.pk}"),
        ("trail CSV export, one controller", "admin",
         reverse("admin:trail_trailentry_export") + f"?controller={controller.pk}"),
        ("register PDF, one controller", "admin",
         reverse("admin:controllers_controller_record_pdf", args=[controller.pk])),
        ("controllers CSV export (streamed)", "admin",
         reverse("admin:controllers_controller_export_csv")),
    ]  # fmt: skip
    activity = ProcessingActivity.objects.covering(controller).in_record().first()
    found += [
        ("portal dashboard", "portal", reverse("portal:dashboard")),
        ("portal records", "portal", reverse("portal:activity_list")),
        ("portal record detail", "portal", reverse("portal:activity_detail", args=[activity.pk])),
        ("portal subprocessors", "portal", reverse("portal:subprocessor_list")),
        ("portal members", "portal", reverse("portal:member_list")),
        ("portal account", "portal", reverse("portal:account")),
        ("public subprocessors", "public", reverse("public:subprocessor_list")),
        ("public subprocessors JSON", "public", reverse("public:subprocessor_json")),
    ]
    return found


def staff_client():
    client = Client(HTTP_HOST="127.0.0.1")
    user = User.objects.get(email=STAFF)
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, name=DEMO_DEVICE)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client, device


def customer_client():
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=CUSTOMER))
    return client


def count(client, path):
    client.get(path)  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            for _ in response.streaming_content:
                pass
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


def export_peak(client, path) -> dict:
    tracemalloc.start()
    response = client.get(path)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_bytes": peak, "body_bytes": size}


def main(out):
    staff, device = staff_client()
    customer = customer_client()
    public = Client(HTTP_HOST="127.0.0.1")
    clients = {"admin": staff, "portal": customer, "public": public}
    measured = [[name, door, path, count(clients[door], path)] for name, door, path in pages()]
    exports = {
        "whole audit trail CSV": export_peak(staff, reverse("admin:trail_trailentry_export")),
        "controllers CSV (streamed)": export_peak(
            staff, reverse("admin:controllers_controller_export_csv")
        ),
    }
    from django.apps import apps

    rows = {
        label: apps.get_model(label).objects.count()
        for label in [
            "controllers.Controller",
            "dsar.DsarTicket",
            "dsar.DsarTimelineEntry",
            "breaches.BreachIncident",
            "breaches.BreachNotification",
            "notifications.Notification",
        ]
    }
    rows["trail.TrailEntry (= history rows)"] = TrailEntry.objects.count()
    Path(out).write_text(
        json.dumps(
            {"pages": measured, "export_peak": exports, "rows": rows, "totp_key": device.key},
            indent=1,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
