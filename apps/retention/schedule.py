"""The retention schedule (GDPR Art. 5(1)(e), storage limitation, applied to our own records):
each category of log or leftover, how long it is kept (settings.RETENTION_DAYS, from the
environment) and what happens to it afterwards. The README, the record of processing and the
dashboard read it from here.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    # What the run does once the period has passed, as the README and the record say it.
    action: str
    # Counted from what, in words.
    counted_from: str
    # Whether it concerns customers' data (their users, their requests): shown in their record.
    customers_data: bool = True

    @property
    def days(self) -> int:
        return settings.RETENTION_DAYS[self.key]


SECURITY_EVENTS = Category(
    "security_events",
    "Security events (failed sign-ins, lockouts, refusals, exports, API token use)",
    "anonymised: the login name, person, address, path and detail are erased; the kind and "
    "time stay",
    "the event",
)
AUDIT_ACCESS_LOG = Category(
    "audit_access_log",
    "Auditors' access log (each portal page an auditor under a grant opened)",
    "deleted",
    "the page view",
)
OUTBOX_BODIES = Category(
    "outbox_bodies",
    "Bodies of e-mails and webhook messages no longer waiting to be sent",
    "the body is erased; the recipient, subject and delivery record stay as proof of notice",
    "the last change of the message (sent, failed or cancelled)",
)
REQUEST_LOGS = Category(
    "request_logs",
    "Sign-in records (address, browser and login name of each sign-in and failed attempt)",
    "deleted",
    "the sign-in",
)
TASK_RESULTS = Category(
    "task_results",
    "Background task results (ids of our rows, tracebacks)",
    "deleted",
    "the task's end",
    customers_data=False,
)
INVITATIONS = Category(
    "invitations",
    "Invitations never accepted (the invited person's account)",
    "the account is erased (address and name replaced, access ended) and its address erased "
    "from the outbox and the logs",
    "the end of the invitation link's validity",
)
DATA_EXPORTS = Category(
    "data_exports",
    "Files of customers' data exports",
    "the file is deleted; the request's record stays",
    "the end of the download link's validity",
)

CATEGORIES: tuple[Category, ...] = (
    SECURITY_EVENTS,
    AUDIT_ACCESS_LOG,
    OUTBOX_BODIES,
    REQUEST_LOGS,
    TASK_RESULTS,
    INVITATIONS,
    DATA_EXPORTS,
)
BY_KEY = {category.key: category for category in CATEGORIES}


def retention_periods() -> dict[str, int]:
    """Category key → days kept, as configured now."""
    return {category.key: category.days for category in CATEGORIES}
