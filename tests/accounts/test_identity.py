import pytest
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from apps.accounts.admin import UserCreationForm
from apps.accounts.identity import axes_username, email_normalise
from apps.accounts.models import User
from tests.factories import UserFactory

PASSWORD = "a-long-test-password"


def test_case_width_and_spaces_do_not_make_another_address():
    assert email_normalise("  Ann@X.Test ") == "ann@x.test"
    # Full-width letters (NFKC) are the plain ones.
    assert email_normalise("ＡＮＮ@Ｘ.ｔｅｓｔ") == "ann@x.test"


def test_sharp_s_is_kept_because_ss_names_another_mailbox():
    assert email_normalise("Straße@x.test") == "straße@x.test"


@given(st.text())
def test_normalising_twice_changes_nothing(text):
    once = email_normalise(text)
    assert email_normalise(once) == once


def test_the_lockout_counts_the_normalised_address(rf):
    request = rf.post("/", {"username": "MULTI@X.test"})
    assert axes_username(request, {"username": "MULTI@X.test"}) == "multi@x.test"
    assert axes_username(request, None) == "multi@x.test"
    assert axes_username(rf.post("/", {}), None) is None


@pytest.mark.django_db
def test_create_user_stores_the_normalised_address():
    user = User.objects.create_user("  ＡＮＮ@X.Test", PASSWORD)
    assert user.email == "ann@x.test"


@pytest.mark.django_db
def test_create_user_refuses_an_address_that_differs_only_in_case():
    User.objects.create_user("ann@x.test", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("Ann@x.test", PASSWORD)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_it_even_when_normalisation_is_skipped():
    UserFactory(email="ann@x.test")
    # A plain save (a shell, a bulk load) skips the manager: the Lower("email") index holds.
    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="Ann@x.test").save()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_add_form_refuses_an_address_that_differs_only_in_case():
    UserFactory(email="ann@x.test")
    form = UserCreationForm(
        data={
            "email": "Ann@X.test",
            "full_name": "Ann Again",
            "usable_password": "false",
        }
    )
    assert not form.is_valid()
    assert "email" in form.errors
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_sign_in_lookup_finds_the_account_in_any_case():
    user = UserFactory(email="ann@x.test")
    assert User.objects.get_by_natural_key("ANN@X.TEST") == user
    assert User.objects.get_by_natural_key(" Ａnn@x.test ") == user


@pytest.mark.django_db
def test_a_row_stored_before_normalisation_is_still_found():
    # Rows written before the normalisation (a factory saves as given) are matched by Lower().
    user = UserFactory(email="Legacy@X.test")
    assert User.objects.by_email("legacy@x.test").get() == user
