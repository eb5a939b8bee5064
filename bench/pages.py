"""The benchmark's pages and people on one database: what bench/locustfile.py walks and as whom.

Run with the settings gunicorn runs with (DATABASE_URL, SECRET_KEY set; config.bench_settings):
`python bench/pages.py OUT.json`. It

- makes the benchmark's accounts if missing: for each of BENCH_USERS users, a Support Agent, a
  Security Lead and a Privacy Officer (each with a confirmed authenticator), and the customer user
  of one seed_scale controller; and signs each in, as a sign-in with its second factor would:
  a session per account, whose cookie locust sends (32 sign-ins at once would measure the
  password hasher, not the pages);
- lists the pages (every project admin's list, change and, for the big models, history page; the
  trail, the exports, the portal, the public pages) and the same list, change and history pages
  on the stock admin (/stock-admin/, bench/stock_admin.py);
- counts each page's queries with Django's test client in this process (CaptureQueriesContext,
  as the test suite counts them), and the streamed exports' peak memory (tracemalloc);
- writes {"pages", "stock_pages", "over_limit" (the queries of each of our pages over 12),
  "export_peak", "rows", "database_bytes", "sessions", "users"} to OUT.json.
"""

import json
import os
import secrets
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.bench_settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from apps.accounts.middleware import session_refresh  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.accounts.roles import PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT  # noqa: E402
from apps.controllers.models import Controller  # noqa: E402
from apps.demo.management.commands.seed_scale import ACTIVITY_NAME  # noqa: E402
from apps.processors.models import ProcessingActivity  # noqa: E402
from apps.trail.models import TrailEntry  # noqa: E402

STAFF = "privacy@calljmp.example"
CUSTOMER = "bea@birch-health.example"
HISTORY_PAGES = ["dsar.DsarTicket", "controllers.Controller", "breaches.BreachIncident"]
BACKEND = "apps.accounts.backends.UserAccessBackend"
ROLES = {"agent": SUPPORT_AGENT, "lead": SECURITY_LEAD, "officer": PRIVACY_OFFICER}
USERS = int(os.environ.get("BENCH_USERS", "32"))
# Controllers a Security Lead's incident affects.
AFFECTED = 20
# The whole trail's CSV is read up to this many bytes for its peak memory (10M entries are 2 GB).
EXPORT_READ_BYTES = 512 * 1024 * 1024


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
        ("register PDF page, one controller (starts a job)", "admin",
         reverse("admin:processors_processingactivity_controller_record_pdf",
                 args=[controller.pk])),
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


def stock_pages(ours):
    """The stock admin's list, change and history pages of the same objects."""
    found = []
    for name, door, path in ours:
        if (
            door == "admin"
            and path.startswith("/admin/")
            and name.split()[-1]
            in (
                "list",
                "change",
                "history",
            )
        ):
            found.append((f"stock {name.removeprefix('admin ')}", door, "/stock-" + path[1:]))
    return found


def session_for(user, device=None) -> str:
    """A signed-in session, as the sign-in (and its second factor) leaves it; its key."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session_refresh(session, user)
    session.create()
    return session.session_key


def staff_account(email: str, role: str):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, full_name=email.split("@")[0].replace("-", " ").title())
        user.is_staff = True
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Bench authenticator", confirmed=True)
    return user, device


def bench_users() -> list[dict]:
    """Each locust user's people, sessions and rows: its own customer (controller k) whose
    requests its agent works, 20 controllers for its lead's incidents, and a controller its
    officer adds to (or takes off) the activity that lists 500."""
    scale = list(
        Controller.objects.filter(legal_name__startswith="Scale Customer ")
        .order_by("legal_name")
        .values_list("pk", flat=True)
    )
    activity = ProcessingActivity.objects.get(name=ACTIVITY_NAME)
    listed = set(activity.controllers.values_list("pk", flat=True))
    unlisted = [pk for pk in scale if pk not in listed]
    users = []
    for k in range(USERS):
        customer = User.objects.get(email=f"user@customer{k + 1:05d}.example")
        entry = {
            "controller_id": scale[k],
            "affected": [scale[(k * AFFECTED + j) % len(scale)] for j in range(AFFECTED)],
            "activity_id": activity.pk,
            "toggle_controller_id": unlisted[k % len(unlisted)],
            "sessions": {"portal": session_for(customer)},
        }
        for part, role in ROLES.items():
            staff, device = staff_account(f"bench-{part}-{k + 1:02d}@calljmp.example", role)
            entry["sessions"][part] = session_for(staff, device)
        users.append(entry)
    return users


# A page over this many queries has its queries listed in the results (the target's limit).
QUERY_LIMIT = 12
OVER_LIMIT: dict[str, list[str]] = {}


def count(client, path, name):
    client.get(path)  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            for _ in response.streaming_content:
                pass
    assert response.status_code == 200, (path, response.status_code)
    if len(queries) > QUERY_LIMIT:
        OVER_LIMIT[name] = [" ".join(q["sql"].split())[:160] for q in queries.captured_queries]
    return len(queries)


def export_peak(client, path) -> dict:
    tracemalloc.start()
    response = client.get(path)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        if size >= EXPORT_READ_BYTES:
            break
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    return {"peak_bytes": peak, "body_bytes": size}


def client_with(session_key: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session_key
    return client


def main(out):
    staff = User.objects.get(email=STAFF)
    staff_session = session_for(
        staff, TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    )
    customer_session = session_for(User.objects.get(email=CUSTOMER))
    clients = {
        "admin": client_with(staff_session),
        "portal": client_with(customer_session),
        "public": Client(HTTP_HOST="127.0.0.1"),
    }
    ours = pages()
    stock = stock_pages(ours)
    measured = [[name, door, path, count(clients[door], path, name)] for name, door, path in ours]
    over_limit = dict(OVER_LIMIT)
    stock_measured = [
        [name, door, path, count(clients[door], path, name)] for name, door, path in stock
    ]
    exports = {
        "whole audit trail CSV": export_peak(
            clients["admin"], reverse("admin:trail_trailentry_export")
        ),
        "controllers CSV (streamed)": export_peak(
            clients["admin"], reverse("admin:controllers_controller_export_csv")
        ),
    }
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    Path(out).write_text(
        json.dumps(
            {
                "pages": measured,
                "stock_pages": stock_measured,
                "over_limit": over_limit,
                "export_peak": exports,
                "rows": rows,
                "database_bytes": size,
                "sessions": {"admin": staff_session, "portal": customer_session},
                "users": bench_users(),
                "csrf": secrets.token_hex(16),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
