"""The jobs of breach incidents: notices and updates to many controllers, reports as PDFs."""

from apps.breaches.models import BreachIncident, BreachUpdate
from apps.breaches.services import (
    breach_notify_controllers,
    breach_report_html,
    breach_update_send,
)
from apps.controllers.models import Controller
from apps.jobs.models import Job
from apps.jobs.services import JobResult, job_progress
from apps.jobs.tasks import job_task
from apps.processors.documents import pdf_from_html


def _controllers_progress(job: Job):
    def progress(done: int, total: int) -> None:
        job_progress(job=job, done=done, total=total, step="Queuing the e-mails to controllers")

    return progress


@job_task
def notify_breach_controllers(job: Job, *, incident_id: int) -> JobResult:
    """The Art. 33(3) notice to every confirmed controller not yet told, a batch at a time.

    Run again (a retry), it tells only those a stopped run had not reached."""
    incident = BreachIncident.objects.get(pk=incident_id)
    sent = breach_notify_controllers(
        incident=incident, by=job.started_by, progress=_controllers_progress(job)
    )
    told = incident.notifications.filter(sent_at__isnull=False).count()
    return JobResult(
        summary=(
            f"{told} controller(s) notified of {incident.reference} ({len(sent)} by this run); "
            "the outbox delivers the e-mails."
        ),
        link_name="admin:breaches_breachincident_change",
        link_args=[incident.pk],
        link_label=f"Open {incident.reference}",
        data={"notified": len(sent)},
    )


@job_task
def send_breach_update(job: Job, *, update_id: int) -> JobResult:
    """An update (Art. 33(4)) to every notified controller that does not have it yet.

    Run again (a retry), it sends only to those a stopped run had not reached."""
    update = BreachUpdate.objects.select_related("incident").get(pk=update_id)
    incident = update.incident
    left = (
        incident.notifications.filter(sent_at__isnull=False)
        .exclude(controller__in=update.deliveries.values("controller"))
        .exists()
    )
    deliveries = (
        breach_update_send(update=update, by=job.started_by, progress=_controllers_progress(job))
        if left
        else []
    )
    return JobResult(
        summary=(
            f"Update {update.phase} of {incident.reference} is with "
            f"{update.deliveries.count()} controller(s) ({len(deliveries)} by this run); the "
            "outbox delivers the e-mails."
        ),
        link_name="admin:breaches_breachincident_change",
        link_args=[incident.pk],
        link_label=f"Open {incident.reference}",
        data={"sent": len(deliveries)},
    )


@job_task
def make_breach_report_pdf(job: Job, *, incident_id: int, controller_id: int) -> JobResult:
    """One affected controller's report, laid out for filing with a supervisory authority."""
    incident = BreachIncident.objects.get(pk=incident_id)
    controller = Controller.objects.get(pk=controller_id)
    job_progress(job=job, done=0, total=2, step="Reading the incident")
    html = breach_report_html(incident=incident, controller=controller)
    job_progress(job=job, done=1, total=2, step="Laying out the PDF")
    pdf = pdf_from_html(html)
    return JobResult(
        summary=f"The report of {incident.reference} for {controller} is ready.",
        file=pdf,
        filename=f"{incident.reference}-{controller.pk}.pdf",
    )
