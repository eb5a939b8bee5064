import re

import pytest
from django.core import mail
from django.urls import reverse

PASSWORD = "a-long-test-password"


def test_root_redirects_to_the_portal_dashboard(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")


def test_login_by_email_and_password_lands_on_the_dashboard(client, owner):
    response = client.post(
        reverse("portal:login"), {"username": "OWNER@alpha.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    page = client.get(response["Location"])
    assert "Alpha Apps Ltd" in page.content.decode()


def test_wrong_password_shows_an_error_tied_to_the_form(client, owner):
    response = client.post(reverse("portal:login"), {"username": owner.email, "password": "no"})
    assert response.status_code == 200
    content = response.content.decode()
    assert 'role="alert"' in content
    assert "enter a correct email address and password" in content


def test_login_page_ties_labels_to_inputs(client, db):
    content = client.get(reverse("portal:login")).content.decode()
    assert '<label for="id_username">' in content
    assert 'id="id_username"' in content
    assert content.count("<h1") == 1
    assert 'href="#main"' in content


def test_repeated_failures_lock_the_login_with_a_message_saying_when_to_retry(
    client, owner, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            reverse("portal:login"), {"username": owner.email, "password": "wrong-password"}
        )
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many failed sign-in attempts" in content
    assert "Try again in 15 minutes" in content
    # Even the right password is refused while locked.
    response = client.post(reverse("portal:login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_signs_out(client, owner):
    client.force_login(owner)
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_password_change_works_for_a_read_only_auditor(client, auditor):
    client.force_login(auditor)
    response = client.post(
        reverse("portal:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-9",
            "new_password2": "another-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    auditor.refresh_from_db()
    assert auditor.check_password("another-long-passphrase-9")


def test_password_reset_email_is_sent_and_its_link_sets_a_new_password(
    client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:password_reset"), {"email": owner.email})
    assert response["Location"] == reverse("portal:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    link = re.search(r"http://testserver(/portal/password/reset/\S+)", message.body).group(1)

    response = client.get(link)
    assert response.status_code == 302  # Django swaps the token for a session marker
    form_url = response["Location"]
    response = client.post(
        form_url,
        {"new_password1": "fresh-long-passphrase-7", "new_password2": "fresh-long-passphrase-7"},
    )
    assert response["Location"] == reverse("portal:password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password("fresh-long-passphrase-7")
    # The link worked once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_tells_nothing(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:password_reset"), {"email": "nobody@x.test"})
    assert response["Location"] == reverse("portal:password_reset_done")
    assert mail.outbox == []


@pytest.mark.parametrize("name", ["dashboard", "activity_list", "account"])
def test_staff_without_membership_are_sent_to_the_admin(client, name, officer):
    client.force_login(officer)
    response = client.get(reverse(f"portal:{name}"))
    assert response.status_code == 403
    assert reverse("admin:index") in response.content.decode()


def test_customer_without_current_membership_gets_404(client, user_without_membership):
    client.force_login(user_without_membership)
    assert client.get(reverse("portal:dashboard")).status_code == 404


def test_admin_login_stays_in_the_admin(client, db):
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("admin:login"))
