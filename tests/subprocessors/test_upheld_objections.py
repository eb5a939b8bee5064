"""An upheld objection changes something (DPA clause 5): the subprocessor is not used for that
customer, or the customer may end the agreement from a date. The Privacy Officer picks which in
the admin; the customer reads it in the portal and in its record of processing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.controllers.models import Membership
from apps.notifications.models import Notification
from apps.processors.documents import register_html
from apps.processors.models import ProcessingActivity
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange
from apps.subprocessors.services import objection_resolve, subprocessor_changes_apply
from tests.factories import (
    ControllerFactory,
    MembershipFactory,
    ObjectionFactory,
    ProcessingActivityFactory,
    StaffFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db

Consequence = Objection.Consequence


@pytest.fixture
def acme():
    return ControllerFactory(legal_name="Acme Apps Ltd")


def fastly_added(acme, **change):
    """Acme objects to the addition of Fastly, which transfers data to the US."""
    fastly = SubprocessorFactory(
        name="Fastly", status=Subprocessor.Status.PROPOSED, engaged_on=None
    )
    TransferFactory(subprocessor=fastly, destination_country="US")
    change = SubprocessorChangeFactory(
        subprocessor=fastly, kind=SubprocessorChange.Kind.ADD, **change
    )
    return ObjectionFactory(controller=acme, change=change, reason="No transfers to the US.")


@pytest.fixture
def fastly_objection(acme):
    return fastly_added(acme)


def change_url(objection):
    return reverse("admin:subprocessors_objection_change", args=[objection.pk])


def uphold(objection, consequence=Consequence.NOT_USED, termination_on=None, by=None):
    return objection_resolve(
        objection=objection,
        status=Objection.Status.UPHELD,
        resolution="We keep your data off Fastly.",
        consequence=consequence,
        termination_on=termination_on,
        by=by,
    )


# --- the admin, as a Privacy Officer uses it ---------------------------------------------------


def test_an_officer_upholds_with_the_subprocessor_left_out_and_the_customer_is_told(
    officer_client, officer, fastly_objection, acme
):
    page = officer_client.get(change_url(fastly_objection)).content.decode()
    assert "Consequence of upholding" in page
    assert "The subprocessor is not used for this customer" in page

    response = officer_client.post(
        change_url(fastly_objection),
        {
            "status": "upheld",
            "resolution": "We keep your data off Fastly.",
            "consequence": "not_used",
            "termination_on": "",
        },
    )

    assert response.status_code == 302
    fastly_objection.refresh_from_db()
    assert fastly_objection.status == Objection.Status.UPHELD
    assert fastly_objection.consequence == Consequence.NOT_USED
    assert fastly_objection.termination_on is None
    latest = fastly_objection.history.latest()
    assert (latest.history_user, latest.consequence) == (officer, "not_used")
    assert latest.history_change_reason == "subprocessors.objection.upheld"
    message = Notification.objects.get(
        kind="subprocessors.objection_resolved", recipient=acme.contact_email
    )
    assert "Fastly is not used to process personal data on behalf of Acme Apps Ltd." in (
        message.body
    )


def test_an_officer_records_the_right_to_end_the_agreement_with_its_date(
    officer_client, fastly_objection
):
    response = officer_client.post(
        change_url(fastly_objection),
        {
            "status": "upheld",
            "resolution": "We cannot avoid Fastly; you may terminate.",
            "consequence": "termination",
            "termination_on": "2027-03-01",
        },
    )

    assert response.status_code == 302
    fastly_objection.refresh_from_db()
    assert fastly_objection.consequence == Consequence.TERMINATION
    assert fastly_objection.termination_on == date(2027, 3, 1)
    assert fastly_objection.history.latest().termination_on == date(2027, 3, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"consequence": ""}, "Choose what upholding changes"),
        (
            {"consequence": "termination", "termination_on": ""},
            "Give the date from which the customer may end the agreement.",
        ),
        (
            {"consequence": "termination", "termination_on": "2001-01-01"},
            "The date cannot be before the objection was raised",
        ),
        (
            {"consequence": "not_used", "termination_on": "2027-03-01"},
            "A date applies only when the customer may end the agreement.",
        ),
        ({"consequence": "termination", "termination_on": "31/02/2027"}, "Enter a valid date."),
    ],
)
def test_upholding_without_a_valid_consequence_is_refused_and_nothing_changes(
    officer_client, fastly_objection, data, message
):
    response = officer_client.post(
        change_url(fastly_objection),
        {"status": "upheld", "resolution": "Upheld.", "termination_on": "", **data},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    fastly_objection.refresh_from_db()
    assert (fastly_objection.status, fastly_objection.consequence) == ("open", "")
    assert fastly_objection.history.count() == 1
    assert not Notification.objects.filter(kind="subprocessors.objection_resolved").exists()


def test_a_consequence_on_a_rejection_is_refused(officer_client, fastly_objection):
    response = officer_client.post(
        change_url(fastly_objection),
        {"status": "rejected", "resolution": "No.", "consequence": "not_used"},
    )
    assert response.status_code == 200
    assert "Only an upheld objection has a consequence" in response.content.decode()
    fastly_objection.refresh_from_db()
    assert fastly_objection.status == Objection.Status.OPEN


def test_leaving_out_a_subprocessor_that_is_being_removed_is_refused(officer, acme):
    leaving = SubprocessorFactory(name="Leaving Co")
    change = SubprocessorChangeFactory(subprocessor=leaving, kind=SubprocessorChange.Kind.REMOVE)
    objection = ObjectionFactory(controller=acme, change=change)

    with pytest.raises(ValidationError, match="there is no new one to leave out"):
        uphold(objection, by=officer)
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN


def test_an_auditor_reads_the_objection_but_cannot_uphold_it(
    client, staff_auditor, fastly_objection
):
    client.force_login(staff_auditor)
    page = client.get(change_url(fastly_objection))
    assert page.status_code == 200
    assert 'name="consequence"' not in page.content.decode()

    response = client.post(
        change_url(fastly_objection),
        {"status": "upheld", "resolution": "Upheld.", "consequence": "not_used"},
    )

    assert response.status_code == 403
    fastly_objection.refresh_from_db()
    assert (fastly_objection.status, fastly_objection.consequence) == ("open", "")


# --- the portal ------------------------------------------------------------------------------


@pytest.fixture
def acme_admin(acme):
    return MembershipFactory(
        controller=acme, role=Membership.Role.ADMIN, user__email="admin@acme.test"
    ).user


def test_the_customer_sees_the_subprocessor_is_not_used_for_it(client, acme, acme_admin, officer):
    # Announced 40 days ago, objected to in time, upheld; the addition has taken effect, so
    # Fastly is in use for everybody but Acme.
    fastly_objection = fastly_added(acme, announced_at=timezone.now() - timedelta(days=40))
    uphold(fastly_objection, by=officer)
    assert [c.pk for c in subprocessor_changes_apply()] == [fastly_objection.change_id]
    client.force_login(acme_admin)

    page = client.get(reverse("portal:subprocessor_list")).content.decode()

    assert "Not used for Acme Apps Ltd" in page
    assert "your objection was upheld" in page
    detail = reverse("portal:objection_detail", args=[fastly_objection.pk])
    assert f'href="{detail}"' in page
    objection_page = client.get(detail)
    assert objection_page.status_code == 200
    text = objection_page.content.decode()
    assert "No transfers to the US." in text
    assert "Upheld" in text
    assert "Fastly is not used to process personal data on behalf of Acme Apps Ltd." in text


def test_the_customer_sees_its_right_to_end_the_agreement(
    client, acme_admin, fastly_objection, officer
):
    uphold(
        fastly_objection,
        consequence=Consequence.TERMINATION,
        termination_on=date(2027, 3, 1),
        by=officer,
    )
    client.force_login(acme_admin)

    page = client.get(reverse("portal:subprocessor_list")).content.decode()
    detail = client.get(reverse("portal:objection_detail", args=[fastly_objection.pk]))

    # The date as the portal writes dates (config/formats): "1 Mar 2027".
    assert "Acme Apps Ltd may end the agreement from 1 Mar 2027." in page
    assert "Acme Apps Ltd may end the agreement from 1 Mar 2027." in detail.content.decode()
    assert "Not used for" not in page


def test_another_customer_gets_404_for_the_objection_and_sees_nothing_of_it(
    client, fastly_objection, officer
):
    uphold(fastly_objection, by=officer)
    other = ControllerFactory(legal_name="Birch Games")
    outsider = MembershipFactory(controller=other, role=Membership.Role.ADMIN).user
    client.force_login(outsider)

    response = client.get(reverse("portal:objection_detail", args=[fastly_objection.pk]))
    page = client.get(reverse("portal:subprocessor_list")).content.decode()

    assert response.status_code == 404
    assert "Acme" not in page and "No transfers to the US." not in page
    assert "Your organisation has not objected to a change." in page


def test_the_objections_list_costs_the_same_queries_with_2_and_20_objections(
    client, acme, acme_admin, django_assert_num_queries
):
    TransferFactory(subprocessor=SubprocessorFactory(name="Cloudflare"))
    client.force_login(acme_admin)
    url = reverse("portal:subprocessor_list")
    for added in (2, 18):
        for _ in range(added):
            objection = ObjectionFactory(controller=acme)
            uphold(objection)
        # 1 session, 2 user, 3 savepoint, 4 memberships, 5 count of active subprocessors, 6
        # the organisation's objections with their changes and subprocessors, 7 the announced
        # changes, 8 the page of active subprocessors, 9 their transfers, 10 release.
        with django_assert_num_queries(10):
            page = client.get(url).content.decode()
        assert page.count("/portal/subprocessors/objections/") >= added


# --- the record of processing ---------------------------------------------------------------


def test_the_record_of_the_customer_shows_the_exclusion_and_leaves_out_its_transfers(
    fastly_objection, acme, officer
):
    other = ControllerFactory(legal_name="Birch Games")
    ProcessingActivityFactory(
        name="Edge delivery",
        status=ProcessingActivity.Status.APPROVED,
        approved_by=StaffFactory(),
        approved_at=timezone.now(),
        subprocessors=[fastly_objection.change.subprocessor],
    )
    before = register_html(controller=acme)
    assert "not used for this controller" not in before
    assert "Fastly → United States of America" in before

    uphold(fastly_objection, by=officer)
    record = register_html(controller=acme)
    others = register_html(controller=other)

    assert "Fastly (" in record and "not used for this controller (objection upheld" in record
    assert "Fastly → United States of America" not in record
    assert "Fastly is not used to process personal data on behalf of Acme Apps Ltd." in record
    assert "not used for this controller" not in others
    assert "Fastly → United States of America" in others
    assert "Acme" not in others
