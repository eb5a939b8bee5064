import psycopg
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from apps.processors.branding import BRAND_CACHE_KEY, BRAND_CACHE_SECONDS, Brand
from apps.trail.guards import CREDENTIALS, guarded_tables, two_roles, use_credentials
from tests.factories import StaffFactory


class SecondFactorClient(Client):
    """A test client whose force_login also passes the staff second factor, as a staff member
    who typed a valid code would. Tests of the login itself use a plain Client."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if user.is_staff:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="Test authenticator", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


# With MIGRATION_DATABASE_URL set (CI), the suite runs as production does: the test database is
# created and migrated by the owner role, and every test then runs as the application's role,
# which may only read and append history (README, "Database roles").
APP_CREDENTIALS = {k: settings.DATABASES["default"].get(k) for k in CREDENTIALS}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    if two_roles():
        use_credentials(connections["default"], settings.MIGRATION_DATABASE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    if not two_roles():
        yield
        return
    with django_db_blocker.unblock():
        use_credentials(connections["default"], APP_CREDENTIALS)
    yield
    with django_db_blocker.unblock():
        use_credentials(connections["default"], settings.MIGRATION_DATABASE)


def _guarded_flush(cursor, sql_list):
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    existing = {row[0] for row in cursor.fetchall()}
    guarded = [
        t
        for t in [*guarded_tables(django_apps), "trail_trailentry", "trail_trailscrub"]
        if t in existing
    ]
    for table in guarded:
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER audit_trail_truncate_guard')
    for sql in sql_list:
        cursor.execute(sql)
    for table in guarded:
        cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER audit_trail_truncate_guard')


def _flush(self, sql_list):
    """Emptying the database between transactional tests is the owner's work (the application's
    role may not TRUNCATE), with the TRUNCATE guards of history and the trail switched off for
    the one transaction that does it."""
    if not two_roles():
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            _guarded_flush(cursor, sql_list)
        return
    owner = settings.MIGRATION_DATABASE
    with (
        psycopg.connect(
            host=owner.get("HOST") or None,
            port=owner.get("PORT") or None,
            user=owner["USER"],
            password=owner.get("PASSWORD") or None,
            dbname=self.connection.settings_dict["NAME"],
        ) as owner_connection,
        owner_connection.cursor() as cursor,
    ):
        _guarded_flush(cursor, sql_list)


DatabaseOperations.execute_sql_flush = _flush  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def checkpoint_store(settings, tmp_path):
    """Each test keeps its own trail checkpoints, as each has its own database."""
    settings.STORAGES = {
        **settings.STORAGES,
        "trail_checkpoints": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "trail-checkpoints"), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def processor_brand_cache():
    """Each test starts with no processor, and the cached brand heading the pages says so, as a
    running site's cache would; a processor the test saves replaces it (apps.processors.branding).
    """
    cache.set(BRAND_CACHE_KEY, Brand(), BRAND_CACHE_SECONDS)
    yield
    cache.delete(BRAND_CACHE_KEY)


@pytest.fixture
def client():
    return SecondFactorClient()


@pytest.fixture
def officer(db):
    return StaffFactory(role=PRIVACY_OFFICER)


@pytest.fixture
def support_agent(db):
    return StaffFactory(role=SUPPORT_AGENT)


@pytest.fixture
def security_lead(db):
    return StaffFactory(role=SECURITY_LEAD)


@pytest.fixture
def staff_auditor(db):
    return StaffFactory(role=AUDITOR)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client
