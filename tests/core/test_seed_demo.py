from django.apps import apps
from django.core.management import call_command

from apps.breaches.models import BreachIncident
from apps.controllers.models import Controller
from apps.data_categories.models import DataCategory
from apps.dsar.models import DsarTicket
from apps.processors.models import ProcessingActivity, SecurityMeasure
from apps.subprocessors.models import Subprocessor, Transfer


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {
            "accounts",
            "controllers",
            "processors",
            "data_categories",
            "subprocessors",
            "dsar",
            "breaches",
            "notifications",
        }
    }


def test_seed_demo_loads_the_dpa_register(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "privacy@calljmp.example" in out and "calljmp-demo-2026" in out
    assert DataCategory.objects.count() == 5
    assert SecurityMeasure.objects.count() == 4
    assert set(Subprocessor.objects.active().values_list("name", flat=True)) == {
        "Cloudflare",
        "Stripe",
        "Resend",
        "Product analytics provider",
    }
    assert Transfer.objects.filter(destination_country="US", mechanism="sccs").count() == 4
    assert set(ProcessingActivity.objects.in_record().values_list("category", flat=True)) == {
        "routing",
        "storage",
        "authentication",
        "management",
    }
    assert Controller.objects.count() == 3
    for controller in Controller.objects.all():
        assert ProcessingActivity.objects.covering(controller).in_record().count() == 4


def test_seed_demo_loads_requests_and_a_breach_of_acme_through_the_services(db):
    call_command("seed_demo")
    acme = Controller.objects.get(legal_name="Acme Fitness Ltd")
    access, erasure = DsarTicket.objects.for_controller(acme).order_by("reference")
    assert (access.request_type, access.status) == ("access", "in_progress")
    assert (erasure.request_type, erasure.status) == ("erasure", "awaiting_customer")
    assert access.submitted_by.email == "alex@acme-fitness.example"
    assert access.timeline.filter(kind="note", visible_to_customer=False).exists()
    assert access.timeline.filter(kind="reply", visible_to_customer=True).exists()
    assert access.attachments.get().visible_to_customer
    assert erasure.pauses.filter(ended_at__isnull=True).exists()
    assert erasure.propagations.filter(status="pending").exists()
    reasons = set(access.history.values_list("history_change_reason", flat=True))
    assert {"dsar.ticket.submitted", "dsar.ticket.in_progress"} <= reasons

    incident = BreachIncident.objects.for_controller(acme).get()
    assert incident.status == "contained"
    assert incident.data_categories.exists() and incident.data_subject_categories.exists()
    notice = incident.notifications.get()
    assert notice.controller == acme and notice.sent_at is not None
    assert incident.updates.get().deliveries.filter(controller=acme).exists()
    for other in Controller.objects.exclude(pk=acme.pk):
        assert not BreachIncident.objects.for_controller(other).exists()
        assert not DsarTicket.objects.for_controller(other).exists()


def test_seed_demo_twice_writes_nothing_the_second_time(db, capsys):
    call_command("seed_demo")
    before = row_counts()
    call_command("seed_demo")
    assert row_counts() == before
    assert "0 rows written" in capsys.readouterr().out.splitlines()[-1]
    assert any(label.endswith("HistoricalController") for label in before)
