"""Change reasons as people read them.

Services record a reason code with every change ("dsar.ticket.submitted",
"breaches.notification.sent"); people typed some reasons themselves (an extension's grounds, a
scrub's request). `reason_label` turns a code into words and leaves typed text alone.
"""

import re

from django.apps import apps

# Codes whose words are not simply "<object> <verb>".
LABELS = {
    "seed_demo": "Demo data loaded",
    "seed_scale": "Benchmark data loaded",
    "dsar.subject_scrubbed": "Data subject's identifier erased",
    "dsar.ticket.resolution": "Resolution recorded",
    "dsar.timeline.status": "Status note added",
    "dsar.timeline.extension": "Extension note added",
    "breaches.notification.sent": "Breach notice sent",
    "breaches.notification.confirmed": "Controller confirmed for notice",
    "breaches.notification.unconfirmed": "Controller removed from notice",
    "breaches.notification.acknowledged": "Breach notice acknowledged",
    "notifications.queued": "Message queued",
    "notifications.claimed": "Message taken for sending",
    "notifications.claim_renewed": "Message still being sent",
    "notifications.sent": "Message sent",
    "notifications.retry": "Sending failed; will retry",
    "notifications.attempt_failed": "Sending failed; will retry",
    "notifications.gave_up": "Sending failed; gave up",
    "offboarding.dsar_subject_erased": "Data subject erased at offboarding",
    "offboarding.dsar_attachment_erased": "Attachment name erased at offboarding",
    "offboarding.user_erased": "Account erased at offboarding",
    "offboarding.export_erased": "Data export erased",
    "offboarding.controller_terminated": "Customer's agreement ended",
    "portal.two_factor.required": "Two-factor sign-in required",
    "processors.activity.edited_after_approval": "Edited after approval",
    "core.reference.taken": "Reference number issued",
}

CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


def reason_label(reason: str | None) -> str:
    """Words for a reason code; free text (anything that is not a code) as it was typed."""
    if not reason:
        return ""
    if reason in LABELS:
        return LABELS[reason]
    if not CODE.match(reason):
        return reason
    parts = reason.split(".")
    # "<app>.<object>.<verb>" reads "<Object> <verb>", "<app>.<verb>" reads "<Verb>", and a
    # code that does not start with an app ("review.approved") reads all its words.
    if len(parts) > 1 and parts[0] in _app_labels():
        parts = parts[1:]
    words = " ".join(parts).replace("_", " ")
    return words[:1].upper() + words[1:]


def _app_labels() -> set[str]:
    return {config.label for config in apps.get_app_configs()}
