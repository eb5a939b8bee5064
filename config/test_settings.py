"""Test settings: the production module with only what tests need changed."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-key-" + "x" * 50)
# base64 of "tests-only-outbox-key-0123456789": a Fernet key for the outbox (tests only).
os.environ.setdefault("OUTBOX_ENCRYPTION_KEY", "dGVzdHMtb25seS1vdXRib3gta2V5LTAxMjM0NTY3ODk=")
os.environ.setdefault("AUDIT_CHAIN_KEY", "tests-only-chain-key-" + "y" * 40)

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Files written by tests (attachments, import previews) go to throw-away directories.
STORAGES["private"]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix="dsar-private-")  # noqa: F405
MEDIA_ROOT = tempfile.mkdtemp(prefix="ropa-test-media-")
STORAGES["trail_checkpoints"]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix="trail-cp-")  # noqa: F405
# Tasks run as they are enqueued (after the commit), as mail goes to locmem: a test sees what a
# worker would do. tests/tasks and tests/notifications run the real backends and workers.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# A test's pages come well within this of its sign-in, however slow the machine: no page saves
# the session, so query counts stay exact (tests/accounts/test_fixed_cost.py moves the clock).
SESSION_REFRESH_SECONDS = 600
