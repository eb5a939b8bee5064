"""The one door through which the portal sends email: the notifications outbox.

Mail leaves only after the surrounding transaction commits, and is retried if the mail server
is down. Portal mail carries set-password and sign-in links, so it is marked sensitive: hidden
from staff in the outbox and erased once sent. Like every outbox body, it is stored encrypted
(apps/notifications/fields.py) until then.
"""

from django.template.loader import render_to_string

from apps.notifications.services import notification_enqueue


def send_email(
    *,
    to: list[str],
    subject_template: str,
    body_template: str,
    context: dict,
    kind: str = "portal.account",
) -> None:
    subject = "".join(render_to_string(subject_template, context).splitlines()).strip()
    body = render_to_string(body_template, context)
    notification_enqueue(recipients=to, subject=subject, body=body, kind=kind, sensitive=True)
