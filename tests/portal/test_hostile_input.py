"""Hostile input into every portal form: no 500, nothing half-saved, nothing unescaped.

Forms are found, not listed: `test_every_portal_form_is_fuzzed` opens every page of the
"portal" namespace as each kind of person and reads its <form method="post"> elements; a form
whose target is missing from FORMS fails it. The fields fuzzed are read from the rendered form,
so a new field is fuzzed without a change here.

Each example posts the browser's own data with some fields replaced by hypothesis values
(tests/fuzz/strategies.py), inside a savepoint rolled back after the example
(tests/fuzz/checks.py), and checks: status below 500; a refusal (anything but a redirect)
writes no row in any table of the project, history tables included; after a redirect every
object written passes full_clean(); markup from the input never comes back unescaped.
"""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import given

from apps.accounts.tokens import invitation_token_generator
from apps.controllers.models import Membership
from apps.offboarding.models import DeletionRequest
from tests.factories import (
    AuditGrantFactory,
    MembershipFactory,
    SubprocessorChangeFactory,
    UserFactory,
)
from tests.fuzz.checks import FUZZ_SETTINGS, check_outcome, rolled_back, snapshot, timed_post
from tests.fuzz.forms import post_forms
from tests.fuzz.strategies import form_data
from tests.portal.test_isolation import PATTERNS, url_for

# Form target (URL name in "portal") → (who posts it, the page that shows the form).
# "member" for what members may do, "owner" (a customer admin) for management pages,
# "grantee" for an auditor under an audit whose terms are not yet accepted, None for visitors.
FORMS = {
    "dsar_ticket_submit": ("member", "dsar_ticket_submit"),
    "dsar_ticket_detail": ("member", "dsar_ticket_detail"),
    "dsar_ticket_withdraw": ("member", "dsar_ticket_withdraw"),
    "breach_incident_acknowledge": ("member", "breach_incident_detail"),
    "subprocessor_list": ("member", "subprocessor_list"),
    "password_change": ("member", "password_change"),
    "switch_controller": ("member", "dashboard"),
    "logout": ("member", "dashboard"),
    "two_factor_setup": ("member", "two_factor_setup"),
    # A person's own time zone, on the account page.
    "account": ("member", "account"),
    "member_invite": ("owner", "member_invite"),
    "two_factor_policy": ("owner", "member_list"),
    "member_remove": ("owner", "member_remove"),
    "audit_grant_create": ("owner", "audit_grant_create"),
    "audit_grant_revoke": ("owner", "audit_grant_revoke"),
    "data_export_request": ("owner", "data_export_request"),
    "deletion_request": ("owner", "deletion_request"),
    "deletion_cancel": ("owner", "deletion_cancel"),
    "api_token_create": ("owner", "api_token_create"),
    "api_token_revoke": ("owner", "api_token_revoke"),
    "webhook_endpoint_create": ("owner", "webhook_endpoint_create"),
    "webhook_endpoint_state": ("owner", "webhook_endpoint_state"),
    "webhook_endpoint_delete": ("owner", "webhook_endpoint_delete"),
    "webhook_message_replay": ("owner", "webhook_message_replay"),
    "audit_terms": ("grantee", "audit_terms"),
    "login": (None, "login"),
    "password_reset": (None, "password_reset"),
    "password_reset_confirm": (None, "password_reset_confirm"),
    "invitation_accept": (None, "invitation_accept"),
}

# Rows a refused POST may still write: the record of a failed sign-in (a security event, its
# history row and that row's trail mark, chained into an entry after commit), of a page an
# auditor opened.
ALLOWED_ON_REFUSAL = frozenset(
    {
        "accounts.SecurityEvent",
        "accounts.HistoricalSecurityEvent",
        "trail.TrailEntry",
        "trail.TrailMark",
        "audit.AuditAccessLog",
    }
)


@pytest.fixture
def world(objects_of_a, controller_a, controller_b, member, owner):
    """Objects of controller A and the people who post each form."""
    SubprocessorChangeFactory()  # an upcoming change, so the objection form is shown
    # A second organisation, so the header offers to switch.
    MembershipFactory(user=member, controller=controller_b, role=Membership.Role.MEMBER)
    grantee = AuditGrantFactory(controller=controller_a, terms_accepted_at=None).auditor
    invitee = UserFactory(email="invitee@alpha.test")
    invitee.set_unusable_password()
    invitee.save()
    return {
        "people": {"member": member, "owner": owner, "grantee": grantee, None: None},
        "objects": objects_of_a,
        "resetting": member,
        "invitee": invitee,
    }


def url_of(name, world):
    objects = world["objects"]
    # Tokens are made when needed: a sign-in changes what a password-reset token hashes.
    if name == "invitation_accept":
        user, generator = world["invitee"], invitation_token_generator
    else:
        user, generator = world["resetting"], default_token_generator
    user.refresh_from_db()
    tokens = {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": generator.make_token(user),
    }
    return url_for(name, dict(PATTERNS)[name], objects | tokens)


def open_page(client, name, world):
    """GET a page as a browser would, following the redirect password links make."""
    response = client.get(url_of(name, world), follow=True)
    page_url = response.redirect_chain[-1][0] if response.redirect_chain else url_of(name, world)
    return response, page_url


def test_every_portal_form_is_fuzzed(client, world):
    found = set()
    for person in world["people"].values():
        client.logout()
        if person is not None:
            client.force_login(person)
        for name, _ in PATTERNS:
            if name.endswith(("_pdf", "_csv", "_download")):
                continue  # files, not pages
            with rolled_back():
                if name == "deletion_request":
                    DeletionRequest.objects.all().delete()  # the form shows when none is pending
                response, page_url = open_page(client, name, world)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            found |= {f.url_name for f in post_forms(response, page_url)}
    targets = {n.removeprefix("portal:") for n in found if n and n.startswith("portal:")}
    assert targets - FORMS.keys() == set(), "add these forms to FORMS to fuzz them"
    assert FORMS.keys() - targets == set(), "FORMS names forms no page shows"


@pytest.mark.parametrize("target", sorted(FORMS))
def test_portal_form_survives_hostile_input(target, client, world):
    who, host = FORMS[target]
    person = world["people"][who]
    if person is not None:
        client.force_login(person)
    if target == "deletion_request":
        DeletionRequest.objects.all().delete()
    response, page_url = open_page(client, host, world)
    assert response.status_code == 200, f"{host} does not open for {who}"
    forms = [f for f in post_forms(response, page_url) if f.url_name == f"portal:{target}"]
    assert forms, f"{host} shows no form posting to {target}"
    form = forms[0]
    session_key = client.session.session_key

    @FUZZ_SETTINGS
    @given(data=form_data(form))
    def post_hostile(data):
        with rolled_back():
            before = snapshot()
            response = timed_post(client, form.action, data)
            after = check_outcome(
                response, before=before, posted=data, allowed_on_refusal=ALLOWED_ON_REFUSAL
            )
            if response.status_code == 302 and response["Location"].startswith("/"):
                # The page the person lands on shows what was saved: escaped, no 500.
                shown = client.get(response["Location"])
                check_outcome(
                    shown, before=after, posted=data, allowed_on_refusal=ALLOWED_ON_REFUSAL
                )
        # A successful sign-in, sign-out or password change replaced the session; start over.
        if person is not None and client.session.session_key != session_key:
            client.force_login(person)

    post_hostile()
