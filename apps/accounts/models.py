from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.accounts.identity import email_normalise
from apps.core.dates import datetime_text
from apps.core.legaltime import validate_time_zone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        # Django's own normalisation lower-cases only the domain; ours is the whole identity.
        return email_normalise(email)

    def by_email(self, email: str) -> "models.QuerySet[User]":
        """The user (at most one) with this address, in any case or Unicode form.

        Compared as Lower("email"), the expression the unique index holds, so the lookup uses it
        and still finds a row stored before addresses were normalised on the way in.
        """
        return self.alias(email_key=Lower("email")).filter(email_key=email_normalise(email))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser needs is_staff and is_superuser.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.by_email(email).get()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: staff in the admin, customer users in the portal. Logs in by email."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Staff work in the admin; customer users never do."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Where the person reads times. Empty: staff read the processor's zone
    # (settings.PROCESSOR_TIME_ZONE), a customer user its organisation's.
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name, such as Europe/Berlin, in which this person reads times. Empty: "
        "the processor's zone for staff, the organisation's for customer users.",
    )

    # The trail must never carry password hashes or login times; role changes (groups) are kept.
    history = HistoricalRecords(
        excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"]
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        constraints = [
            # Two accounts whose addresses differ only in case are one person twice: refused by
            # the database whichever door (a shell, a bulk load) skips the normalisation.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = email_normalise(self.email)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class SecurityEvent(models.Model):
    """Something a security reviewer wants to see: failed logins, lockouts, refusals, exports."""

    class Kind(models.TextChoices):
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKED_OUT = "locked_out", "Locked out after repeated failures"
        PERMISSION_DENIED = "permission_denied", "Permission refused"
        EXPORT = "export", "Data exported"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        STAFF_INVITED = "staff_invited", "Staff address invited as a customer user"
        API_TOKEN_CREATED = "api_token_created", "API token created"
        API_TOKEN_USED = "api_token_used", "API token used (first use of the day)"
        API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
    )
    # What was typed as the login name: may name an account that does not exist.
    username = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} at {datetime_text(self.created_at)}"
