from django.apps import apps
from django.core.management import call_command

from apps.controllers.models import Controller
from apps.data_categories.models import DataCategory
from apps.processors.models import ProcessingActivity, SecurityMeasure
from apps.subprocessors.models import Subprocessor, Transfer


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {"accounts", "controllers", "processors", "data_categories", "subprocessors"}
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


def test_seed_demo_twice_writes_nothing_the_second_time(db, capsys):
    call_command("seed_demo")
    before = row_counts()
    call_command("seed_demo")
    assert row_counts() == before
    assert "0 rows written" in capsys.readouterr().out.splitlines()[-1]
    assert any(label.endswith("HistoricalController") for label in before)
