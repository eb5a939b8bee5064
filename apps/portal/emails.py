"""The one door through which the portal sends email.

Mail leaves only after the surrounding transaction commits, so a rolled-back invitation sends
nothing. To route mail through an outbox table later, change this function only.
"""

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


def send_email(*, to: list[str], subject_template: str, body_template: str, context: dict) -> None:
    subject = "".join(render_to_string(subject_template, context).splitlines()).strip()
    body = render_to_string(body_template, context)
    transaction.on_commit(
        lambda: send_mail(subject, body, from_email=None, recipient_list=to, fail_silently=False)
    )
