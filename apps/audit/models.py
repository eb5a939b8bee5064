"""Customer audits: AuditGrant (a named auditor's time-boxed, area-limited access to one
controller, with history) and AuditAccessLog (every portal page such an auditor opens).

The trail they read is apps.trail.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.dates import datetime_text

DEFAULT_AUDIT_TERMS = (
    "You receive read-only access to the records named in this audit for its purpose only. "
    "You keep everything you see confidential: you do not copy, share or publish it beyond the "
    "audit report agreed with the organisation, and you delete your notes when the audit ends. "
    "Every page you open is logged and the organisation's admins can see that log."
)


class AuditArea(models.TextChoices):
    """What a customer audit may look at. Every portal page declares one (apps/portal/areas.py)."""

    PROCESSING_RECORD = "processing_record", "Processing record"
    SUBPROCESSORS = "subprocessors", "Subprocessors and transfers"
    SECURITY_MEASURES = "security_measures", "Security measures"
    DSAR = "dsar", "Data-subject requests"
    BREACHES = "breaches", "Breach incidents"
    HISTORY = "history", "Change history and the register as of a date"


def validate_areas(value):
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one area.")
    unknown = sorted(set(value) - set(AuditArea.values))
    if unknown:
        raise ValidationError(f"Unknown areas: {', '.join(map(str, unknown))}.")


class AuditGrantQuerySet(models.QuerySet):
    def for_controller(self, controller):
        return self.filter(controller_id=getattr(controller, "pk", controller))


class AuditGrant(models.Model):
    """A customer audit: one named auditor, read-only, one controller, chosen areas, time-boxed.

    The access itself is an auditor Membership that ends when the grant does; the grant adds the
    areas, the confidentiality terms the auditor accepts first, and the log of every page opened.
    """

    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_grants"
    )
    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.CASCADE, related_name="audit_grants"
    )
    # SET_NULL: removing the member (or a later grant replacing the expired membership) ends the
    # access; the grant stays as the record of the audit.
    membership = models.OneToOneField(
        "controllers.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_grant",
    )
    areas = models.JSONField(default=list, validators=[validate_areas])
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    terms_version = models.CharField(max_length=50)
    terms = models.TextField(help_text="The confidentiality terms the auditor accepts first.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = AuditGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["controller", "-starts_at"], name="audit_grant_ctrl")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("starts_at")),
                name="audit_grant_expires_after_start",
                violation_error_message="The audit must end after it starts.",
            ),
        ]

    def __str__(self):
        return f"Audit of {self.controller} by {self.auditor}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.starts_at and self.expires_at and self.expires_at <= self.starts_at:
            raise ValidationError({"expires_at": "The audit must end after it starts."})

    def is_active(self, at=None) -> bool:
        from django.utils import timezone

        at = at or timezone.now()
        return self.revoked_at is None and self.starts_at <= at < self.expires_at

    def get_areas_display(self) -> list[str]:
        labels = dict(AuditArea.choices)
        return [labels.get(a, a) for a in self.areas]


class AuditAccessLog(models.Model):
    """One portal page an auditor under a grant tried, opened or refused, with the status it
    answered. Append-only, like the trail itself: nobody changes or deletes a line, so it keeps
    no history of its own. Written after the response, outside the request's transaction, so a
    refused page (rolled back) still leaves its line (apps/portal/middleware.py)."""

    grant = models.ForeignKey(AuditGrant, on_delete=models.PROTECT, related_name="access_log")
    controller = models.ForeignKey(
        "controllers.Controller", on_delete=models.CASCADE, related_name="+"
    )
    path = models.CharField(max_length=500)
    url_name = models.CharField(max_length=150)
    method = models.CharField(max_length=10)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Empty on lines written before the status was kept.
    status = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The HTTP status the page answered: 200 shown, 302 sent elsewhere (the "
        "terms first), 403 or 404 refused, 500 failed.",
    )

    class Meta:
        default_permissions = ("view",)
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["controller", "-at", "-id"], name="audit_access_ctrl")]
        verbose_name = "audit access log entry"
        verbose_name_plural = "audit access log"

    def __str__(self):
        return f"{self.method} {self.path} at {datetime_text(self.at)}"

    @property
    def status_label(self) -> str:
        """The page's answer in words, with its HTTP status, for the organisation's admins."""
        status = self.status
        if status is None:
            return "Not recorded"
        if status < 300:
            words = "Shown"
        elif status < 400:
            words = "Sent elsewhere first"
        elif status == 403:
            words = "Refused: read-only"
        elif status == 404:
            words = "Refused: not found or outside the audit"
        elif status < 500:
            words = "Refused"
        else:
            words = "Failed"
        return f"{words} ({status})"
