from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.subprocessors.models import Subprocessor, SubprocessorChange
from tests.factories import (
    ProcessorFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
    TransferFactory,
)


def register():
    ProcessorFactory(name="Calljmp LLC")
    cloudflare = SubprocessorFactory(
        name="Cloudflare", service="Edge compute", processing_locations=["US", "DE"]
    )
    TransferFactory(subprocessor=cloudflare, destination_country="US")
    SubprocessorFactory(
        name="Retired Mail", status=Subprocessor.Status.RETIRED, retired_on="2025-06-01"
    )
    upcoming = SubprocessorChangeFactory(subprocessor__name="Resend", description="Email delivery")
    past = timezone.now() - timedelta(days=60)
    SubprocessorChangeFactory(
        subprocessor__name="Old news",
        announced_at=past,
        effective_at=past + timedelta(days=31),
        status=SubprocessorChange.Status.EFFECTIVE,
    )
    return upcoming


def test_public_json_lists_active_subprocessors_with_transfers_and_upcoming_changes(client, db):
    upcoming = register()
    response = client.get("/subprocessors.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["processor"] == "Calljmp LLC"
    assert [s["name"] for s in data["subprocessors"]] == ["Cloudflare"]
    cloudflare = data["subprocessors"][0]
    assert cloudflare["service"] == "Edge compute"
    assert [c["code"] for c in cloudflare["processing_locations"]] == ["DE", "US"]
    assert cloudflare["transfers"] == [
        {
            "destination_country": {"code": "US", "name": "United States of America"},
            "mechanism": "sccs",
            "mechanism_label": "Standard contractual clauses (Art. 46(2)(c))",
            "scc_module": "3",
        }
    ]
    assert cloudflare["engaged_on"] == "2025-01-01"
    assert [c["subprocessor"] for c in data["upcoming_changes"]] == ["Resend"]
    assert data["upcoming_changes"][0]["effective_at"] == upcoming.effective_at.isoformat()


def test_public_page_needs_no_login_and_shows_the_list(client, db):
    register()
    response = client.get(reverse("public:subprocessor_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Subprocessors of Calljmp LLC" in content
    assert "Cloudflare" in content
    assert "Standard contractual clauses" in content
    assert "1 Jan 2025" in content
    assert "Resend" in content  # upcoming addition
    assert "Retired Mail" not in content
    assert "Old news" not in content


def test_public_page_says_when_nothing_is_announced(client, db):
    content = client.get(reverse("public:subprocessor_list")).content.decode()
    assert "No change is announced at the moment." in content


def test_atom_feed_lists_announced_changes(client, db):
    register()
    response = client.get("/subprocessors/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    content = response.content.decode()
    assert "Addition of Resend" in content
    assert "Old news" in content
    assert "#change-" in content
