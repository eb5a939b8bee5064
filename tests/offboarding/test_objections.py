"""Customers object to an announced subprocessor change from the portal's subprocessor page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.subprocessors.models import Objection, SubprocessorChange
from apps.subprocessors.services import objection_resolve
from tests.factories import ObjectionFactory, SubprocessorChangeFactory

URL = reverse("portal:subprocessor_list")


@pytest.fixture
def change(db):
    return SubprocessorChangeFactory(description="Adding a new analytics provider.")


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_each_upcoming_change_shows_its_date_and_an_object_form(client, member, change):
    client.force_login(member)
    content = client.get(URL).content.decode()
    assert f"{change.effective_at:%-d %b %Y}" in content
    assert f'name="change" value="{change.pk}"' in content
    assert ">Object</button>" in content


def test_a_member_objects_with_a_reason_and_then_sees_the_objection(
    client, member, controller_a, change
):
    client.force_login(member)
    response = client.post(URL, {"change": change.pk, "reason": "Data must stay in the EU."})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.controller, objection.change) == (controller_a, change)
    assert objection.history.first().history_user == member
    page = client.get(URL).content.decode()
    assert "Your objection" in page
    assert "Data must stay in the EU." in page
    assert f'name="change" value="{change.pk}"' not in page


def test_the_resolution_is_shown_once_staff_close_the_objection(
    client, owner, controller_a, change, officer
):
    objection = ObjectionFactory(controller=controller_a, change=change)
    objection_resolve(
        objection=objection, status="rejected", resolution="The provider is EU-hosted.", by=officer
    )
    client.force_login(owner)
    page = client.get(URL).content.decode()
    assert "Rejected" in page
    assert "The provider is EU-hosted." in page


def test_an_objection_without_a_reason_is_refused(client, owner, change):
    client.force_login(owner)
    response = client.post(URL, {"change": change.pk, "reason": "  "}, follow=True)
    assert "Give the reason for the objection." in messages_of(response)
    assert not Objection.objects.exists()


def test_a_second_objection_is_refused(client, owner, member, controller_a, change):
    ObjectionFactory(controller=controller_a, change=change)
    client.force_login(owner)
    response = client.post(URL, {"change": change.pk, "reason": "Again."}, follow=True)
    assert "Alpha Apps Ltd has already objected to this change." in messages_of(response)
    assert Objection.objects.count() == 1


def test_an_objection_after_the_effective_date_is_refused(client, owner):
    # Due but not yet applied by the daily command: still announced, no longer open to objection.
    past = SubprocessorChangeFactory(announced_at=timezone.now() - timedelta(days=40))
    assert past.status == SubprocessorChange.Status.ANNOUNCED
    client.force_login(owner)
    response = client.post(URL, {"change": past.pk, "reason": "Too late?"}, follow=True)
    assert "The objection period for this change ended" in messages_of(response)
    assert not Objection.objects.exists()


def test_auditors_read_objections_but_cannot_object(client, auditor, controller_a, change):
    client.force_login(auditor)
    assert ">Object</button>" not in client.get(URL).content.decode()
    response = client.post(URL, {"change": change.pk, "reason": "No."})
    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_an_objection_to_an_unknown_change_is_a_404(client, owner):
    client.force_login(owner)
    assert client.post(URL, {"change": 999999, "reason": "x"}).status_code == 404
