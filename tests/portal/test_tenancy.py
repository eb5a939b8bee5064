from django.urls import reverse

from apps.controllers.models import Membership
from apps.processors.models import ProcessingActivity
from tests.factories import ControllerFactory, MembershipFactory
from tests.portal.conftest import approved_activity


def test_user_of_several_controllers_switches_between_them(client, owner, controller_b):
    MembershipFactory(user=owner, controller=controller_b, role=Membership.Role.MEMBER)
    client.force_login(owner)
    dashboard = reverse("portal:dashboard")
    content = client.get(dashboard).content.decode()
    assert "<h1>Alpha Apps Ltd</h1>" in content
    assert "Switch to Bravo Games SAS" in content

    switch = reverse("portal:switch_controller", kwargs={"controller_id": controller_b.pk})
    response = client.post(switch)
    assert response["Location"] == dashboard
    content = client.get(dashboard).content.decode()
    assert "<h1>Bravo Games SAS</h1>" in content
    assert "Switch to Alpha Apps Ltd" in content


def test_switching_to_a_controller_without_membership_is_404(client, owner, controller_b):
    client.force_login(owner)
    switch = reverse("portal:switch_controller", kwargs={"controller_id": controller_b.pk})
    assert client.post(switch).status_code == 404
    assert client.get(switch).status_code == 405


def test_an_expired_membership_is_left_out_of_the_switcher(client, expired, controller_b):
    MembershipFactory(user=expired, controller=controller_b)
    client.force_login(expired)
    content = client.get(reverse("portal:dashboard")).content.decode()
    assert "<h1>Bravo Games SAS</h1>" in content
    assert "Alpha Apps Ltd" not in content


def test_a_stored_choice_that_expired_falls_back_to_a_current_membership(
    client, owner, controller_b
):
    other = MembershipFactory(user=owner, controller=controller_b)
    client.force_login(owner)
    client.post(reverse("portal:switch_controller", kwargs={"controller_id": controller_b.pk}))
    other.delete()
    content = client.get(reverse("portal:dashboard")).content.decode()
    assert "<h1>Alpha Apps Ltd</h1>" in content


def test_record_shows_shared_and_listed_activities_but_not_drafts_or_others(
    client, outsider, controller_a, controller_b, activity_of_a
):
    approved_activity(name="Shared routing")
    approved_activity(
        name="Bravo listed storage", covers_all_controllers=False, controllers=[controller_b]
    )
    from tests.factories import ProcessingActivityFactory

    ProcessingActivityFactory(name="Draft idea", status=ProcessingActivity.Status.DRAFT)
    client.force_login(outsider)
    content = client.get(reverse("portal:activity_list")).content.decode()
    assert "Shared routing" in content
    assert "Bravo listed storage" in content
    assert "Draft idea" not in content
    assert activity_of_a.name not in content


def test_activity_detail_shows_the_record_entry(client, owner, controller_a):
    from tests.factories import (
        DataCategoryFactory,
        DataSubjectCategoryFactory,
        SecurityMeasureFactory,
        SubprocessorFactory,
        TransferFactory,
    )

    sub = SubprocessorFactory(name="Cloudflare")
    TransferFactory(subprocessor=sub, destination_country="US")
    activity = approved_activity(
        name="Storing app data",
        data_categories=[DataCategoryFactory(name="Email addresses")],
        subprocessors=[sub],
        retention="Deleted within 30 days of termination",
    )
    activity.data_subject_categories.add(DataSubjectCategoryFactory(name="App end users"))
    activity.security_measures.add(SecurityMeasureFactory(name="Encryption at rest"))
    client.force_login(owner)
    url = reverse("portal:activity_detail", kwargs={"activity_id": activity.pk})
    content = client.get(url).content.decode()
    for text in [
        "Storing app data",
        "Email addresses",
        "App end users",
        "Cloudflare",
        "United States of America: Standard contractual clauses",
        "Module 3: processor to processor",
        "Encryption at rest",
        "Deleted within 30 days of termination",
    ]:
        assert text in content, text


def test_dashboard_shows_dpa_and_pending_changes(client, owner):
    from tests.factories import SubprocessorChangeFactory

    SubprocessorChangeFactory()
    client.force_login(owner)
    content = client.get(reverse("portal:dashboard")).content.decode()
    assert "2026-01" in content
    assert "1 Jan 2026" in content
    assert "upcoming subprocessor change" in content


def test_terminated_controllers_users_still_read_their_record(client, db):
    controller = ControllerFactory(status="terminated", terminated_on="2026-06-30")
    user = MembershipFactory(controller=controller).user
    client.force_login(user)
    assert client.get(reverse("portal:dashboard")).status_code == 200
