"""A password-reset request does the same work whether or not the address has an account, so
neither its answer nor its time tells them apart. The expensive steps are counted with mocks
(renderings, tokens), not timed: a wall-clock test would be flaky."""

from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse

from apps.accounts.models import SecurityEvent
from apps.portal.forms import accounts as reset_form
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@contextmanager
def counted_steps():
    """Records each expensive step the reset form takes, in order."""
    steps = []
    make_token = PasswordResetTokenGenerator.make_token
    render = reset_form.render_to_string
    record = reset_form.password_reset_request_record

    def counted_token(generator, user):
        steps.append("token")
        return make_token(generator, user)

    def counted_render(template_name, context=None, *args, **kwargs):
        steps.append(f"render {template_name}")
        return render(template_name, context, *args, **kwargs)

    def counted_record(**kwargs):
        steps.append("record")
        return record(**kwargs)

    with (
        mock.patch.object(PasswordResetTokenGenerator, "make_token", counted_token),
        mock.patch.object(reset_form, "render_to_string", counted_render),
        mock.patch.object(reset_form, "password_reset_request_record", counted_record),
        mock.patch.object(
            reset_form, "notification_enqueue", wraps=reset_form.notification_enqueue
        ) as enqueue,
    ):
        yield steps, enqueue


def request_reset(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("portal:password_reset"), {"email": email}, follow=True)


def test_known_and_unknown_addresses_take_the_same_steps_and_get_the_same_page(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="known@customer.test")

    with counted_steps() as (known_steps, known_enqueue):
        known = request_reset(client, "known@customer.test", django_capture_on_commit_callbacks)
    with counted_steps() as (unknown_steps, unknown_enqueue):
        unknown = request_reset(client, "unknown@customer.test", django_capture_on_commit_callbacks)

    assert (
        known_steps
        == unknown_steps
        == [
            "record",
            "token",
            "render portal/email/password_reset_subject.txt",
            "render portal/email/password_reset_body.txt",
        ]
    )
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    # Only the enqueueing differs: the one message the known address gets.
    assert known_enqueue.call_count == 1
    assert unknown_enqueue.call_count == 0
    assert [m.to for m in mail.outbox] == [["known@customer.test"]]
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED)
    assert sorted(events.values_list("username", flat=True)) == [
        "known@customer.test",
        "unknown@customer.test",
    ]


def test_an_account_without_a_password_yet_is_answered_like_an_unknown_address(
    client, django_capture_on_commit_callbacks
):
    # An invited person who has not set a password: the invitation is their way in.
    user = UserFactory(email="invited@customer.test")
    user.set_unusable_password()
    user.save()
    with counted_steps() as (steps, enqueue):
        request_reset(client, "invited@customer.test", django_capture_on_commit_callbacks)
    assert steps.count("token") == 1
    assert enqueue.call_count == 0
    assert mail.outbox == []


def test_over_the_limit_the_steps_are_the_same_and_nothing_is_sent(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    UserFactory(email="known@customer.test")
    request_reset(client, "known@customer.test", django_capture_on_commit_callbacks)
    with counted_steps() as (steps, enqueue):
        request_reset(client, "known@customer.test", django_capture_on_commit_callbacks)
    assert steps == [
        "record",
        "token",
        "render portal/email/password_reset_subject.txt",
        "render portal/email/password_reset_body.txt",
    ]
    assert enqueue.call_count == 0
    assert len(mail.outbox) == 1


def test_another_case_of_the_address_gets_the_mail_at_the_stored_address(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="known@customer.test")
    request_reset(client, "KNOWN@Customer.test", django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["known@customer.test"]]
