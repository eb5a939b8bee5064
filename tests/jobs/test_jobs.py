"""The job machinery: a job is recorded and its task enqueued after the commit; a worker runs
it with progress and a result, or fails it with a reason; its starter retries it."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import PRIVACY_OFFICER, SUPPORT_AGENT
from apps.jobs.models import Job
from apps.jobs.services import JobLost, job_begin, job_progress, job_results_expire, job_retry
from apps.jobs.services import job_start as start
from apps.jobs.tasks import job_run_here
from tests.factories import JobFactory, StaffFactory
from tests.jobs.tasks import count_to

pytestmark = pytest.mark.django_db


def job_start(by, **arguments):
    return start(task=count_to, kind="tests.count", title="Counting", by=by, arguments=arguments)


def test_a_job_is_queued_and_its_task_enqueued_only_after_the_commit(
    officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = job_start(officer, n=3)
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED
    assert job.started_by == officer
    assert job.task_path == "tests.jobs.tasks.count_to"
    assert len(callbacks) == 1  # the enqueue, once the transaction commits
    callbacks[0]()  # the immediate backend runs the task as it is enqueued
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert (job.progress_done, job.progress_total, job.percent) == (3, 3, 100)
    assert job.summary == "Counted to 3."
    assert job.result_url() == reverse("admin:index")
    assert job.attempts == 1 and job.task_result_id  # the task queue's id of the run
    assert job.started_at is not None and job.finished_at is not None


def test_progress_is_written_at_most_once_a_second_and_when_complete(officer):
    job = job_start(officer, n=200)
    job_run_here(job)
    history = job.history.order_by("history_id")
    reasons = list(history.values_list("history_change_reason", flat=True))
    # Queued, started, the first count (a new step), a count a second (none here: the run is
    # quicker), the complete count, done: not 200 rows.
    assert reasons[:2] == ["jobs.job.queued", "jobs.job.started"]
    assert reasons[-1] == "jobs.job.done"
    assert 2 <= reasons.count("jobs.job.progress") < 10
    assert history.filter(history_change_reason="jobs.job.progress").last().step == "Counting"


def test_a_refusal_fails_the_job_in_its_own_words(officer):
    job = job_start(officer, n=1, refuse="Nothing left to count.")
    assert job_run_here(job) == {"state": "failed"}
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.failure_reason == "Nothing left to count."
    assert job.can_be_retried


def test_an_unexpected_error_fails_the_job_without_showing_its_details(officer):
    job = job_start(officer, n=1, fail_first=True)
    with pytest.raises(RuntimeError):  # raised again: the task queue records it too
        job_run_here(job)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "unexpected error (RuntimeError)" in job.failure_reason
    assert "secret-path" not in job.failure_reason


def test_the_starter_retries_a_failed_job_and_it_completes(officer, queued):
    job = job_start(officer, n=2, fail_first=True)
    with pytest.raises(RuntimeError):
        job_run_here(job)
    with queued.capture() as callbacks:
        job_retry(job=job, by=officer)
    job.refresh_from_db()
    assert (job.state, job.failure_reason) == (Job.State.QUEUED, "")
    queued.run(callbacks)
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert job.attempts == 2
    assert (
        job.history.filter(history_change_reason="jobs.job.retried").get().history_user == officer
    )


def test_only_its_starter_or_staff_allowed_to_change_jobs_retry_a_job(officer):
    job = job_start(StaffFactory(role=SUPPORT_AGENT), n=1, refuse="No.")
    job_run_here(job)
    with pytest.raises(ValidationError, match="Only the person who started this job"):
        job_retry(job=job, by=StaffFactory(role=SUPPORT_AGENT))
    job_retry(job=job, by=StaffFactory(role=PRIVACY_OFFICER))  # holds jobs.change_job
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED


def test_a_done_queued_or_running_job_is_not_retried(officer):
    done = JobFactory(started_by=officer)
    with pytest.raises(ValidationError, match="done"):
        job_retry(job=done, by=officer)
    queued_job = job_start(officer, n=1)
    with pytest.raises(ValidationError, match="waiting for a worker"):
        job_retry(job=queued_job, by=officer)
    running = job_begin(job_id=queued_job.pk)
    with pytest.raises(ValidationError, match="running"):
        job_retry(job=running, by=officer)


def test_a_stalled_job_is_retried_and_its_old_run_stops_at_its_next_report(officer, settings):
    settings.JOB_STALLED_AFTER_MINUTES = 15
    job = job_start(officer, n=1)
    old_run = job_begin(job_id=job.pk)
    # Its worker went silent 20 minutes ago (a test ages the row; no history row is wanted).
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    job.refresh_from_db()
    assert job.is_stalled() and job.can_be_retried
    assert job.state_label.startswith("Stalled")
    job_retry(job=job, by=officer)
    new_run = job_begin(job_id=job.pk)
    assert new_run is not None
    old_run.updated_at -= timedelta(seconds=5)
    with pytest.raises(JobLost):
        job_progress(job=old_run, done=1, total=1)


def test_a_finished_job_is_not_run_twice(officer):
    job = job_start(officer, n=1)
    assert job_run_here(job)["state"] == "done"
    assert job_run_here(job) == {"state": "skipped"}
    assert Job.objects.get().attempts == 1


def test_files_past_their_days_are_deleted_and_the_job_says_so(officer, client):
    job = JobFactory(started_by=officer, with_file=True)
    storage, name = job.result_file.storage, job.result_file.name
    assert storage.exists(name)
    Job.objects.filter(pk=job.pk).update(result_expires_at=timezone.now() - timedelta(minutes=1))
    assert job_results_expire(dry_run=True) == 1
    with pytest.raises(AssertionError):
        assert not storage.exists(name)  # a dry run deletes nothing
    assert job_results_expire() == 1
    job.refresh_from_db()
    assert not job.result_file
    client.force_login(officer)
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "is no longer kept" in page
    assert client.get(reverse("admin:jobs_job_download", args=[job.pk])).status_code == 404


# --- the admin's pages -----------------------------------------------------------------------


def test_my_jobs_lists_a_staff_members_own_jobs_without_any_permission_on_jobs(client):
    agent = StaffFactory(role=SUPPORT_AGENT)
    JobFactory(started_by=agent, title="Agent own PDF")
    JobFactory(title="Another person PDF")
    client.force_login(agent)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:jobs_job_changelist") in index  # "My jobs" beside the user links
    page = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "My jobs" in page
    assert "Agent own PDF" in page
    assert "Another person PDF" not in page
    # Asking for everyone's changes nothing without the permission to read every job.
    page = client.get(reverse("admin:jobs_job_changelist"), {"whose": "everyone"}).content.decode()
    assert "Another person PDF" not in page


def test_privacy_officers_may_list_everyones_jobs(officer_client, officer):
    JobFactory(title="Another person PDF")
    url = reverse("admin:jobs_job_changelist")
    assert "Another person PDF" not in officer_client.get(url).content.decode()
    assert "Another person PDF" in officer_client.get(url, {"whose": "everyone"}).content.decode()


def test_staff_open_their_own_job_page_and_no_one_elses(client):
    agent = StaffFactory(role=SUPPORT_AGENT)
    own = JobFactory(started_by=agent, with_file=True)
    other = JobFactory(with_file=True)
    client.force_login(agent)
    assert client.get(reverse("admin:jobs_job_change", args=[own.pk])).status_code == 200
    # A 403, as every admin page one may not view (staff may know the job exists).
    for name in ("change", "status", "download"):
        assert client.get(reverse(f"admin:jobs_job_{name}", args=[other.pk])).status_code == 403
    assert client.post(reverse("admin:jobs_job_retry", args=[other.pk])).status_code == 403
    assert client.get(reverse("admin:jobs_job_status", args=["no-such-job"])).status_code == 404


def test_a_running_jobs_page_polls_its_status_with_a_static_script_and_no_inline_code(
    client, officer
):
    job = job_start(officer, n=4)
    running = job_begin(job_id=job.pk)
    running.updated_at -= timedelta(seconds=5)
    job_progress(job=running, done=1, total=4, step="Counting")
    client.force_login(officer)
    response = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    page = response.content.decode()
    status_url = reverse("admin:jobs_job_status", args=[job.pk])
    assert f'data-job-status-url="{status_url}"' in page
    assert re.search(r'<progress id="job-progress" data-job-progress max="4" value="1">', page)
    assert "1 of 4" in page and "Counting" in page
    assert "Reload this page" in page  # without JavaScript
    assert re.search(r'<script src="[^"]*/js/job-progress\.js" defer>', page)
    panel = page[page.index('<section class="job-panel"') : page.index("</section>")]
    assert "style=" not in panel and "<script" not in panel
    # No inline script or style on the page, and its policy allows neither.
    assert " style=" not in page
    csp = response["Content-Security-Policy"]
    assert re.search(r"script-src ([^;]*)", csp).group(1) == "'self'"
    assert re.search(r"style-src ([^;]*)", csp).group(1) == "'self'"
    status = client.get(status_url).json()
    assert status["state"] == "running" and status["finished"] is False
    assert (status["done"], status["total"], status["percent"]) == (1, 4, 25)
    assert status["counts"] == "1 of 4" and status["step"] == "Counting"
    assert status["retry_url"] == ""  # running, not stalled


def test_a_done_jobs_page_shows_its_result_and_a_failed_ones_its_reason_and_retry(
    client, officer, queued
):
    client.force_login(officer)
    done = JobFactory(started_by=officer, with_file=True, summary="All counted.")
    page = client.get(reverse("admin:jobs_job_change", args=[done.pk])).content.decode()
    assert "All counted." in page
    assert reverse("admin:jobs_job_download", args=[done.pk]) in page
    assert "data-job-status-url" not in page  # finished: nothing to poll
    download = client.get(reverse("admin:jobs_job_download", args=[done.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "record.pdf" in download["Content-Disposition"]

    failed = job_start(officer, n=1, refuse="Nothing left to count.")
    job_run_here(failed)
    page = client.get(reverse("admin:jobs_job_change", args=[failed.pk])).content.decode()
    assert "Nothing left to count." in page
    retry_url = reverse("admin:jobs_job_retry", args=[failed.pk])
    assert f'action="{retry_url}"' in page
    assert client.get(retry_url).status_code == 405
    with queued.capture() as callbacks:
        response = client.post(retry_url, follow=True)
    assert "queued again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == Job.State.QUEUED and len(callbacks) == 1


def test_the_progress_script_polls_and_reloads_when_finished():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    script = Path(finders.find("js/job-progress.js")).read_text()
    assert "data-job-status-url" in script
    assert "window.location.reload()" in script
    assert "innerHTML" not in script  # text only: nothing from the server becomes markup


def test_the_cron_command_enqueues_again_the_jobs_no_worker_is_on(officer, queued):
    from io import StringIO

    from django.core.management import call_command

    lost = job_start(officer, n=1)  # its enqueue never ran
    fresh = job_start(officer, n=1)
    # Aged for the test (no history row is wanted): queued an hour ago.
    Job.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("requeue_stalled_jobs", "--dry-run", stdout=out)
    assert "would enqueue 1 again" in out.getvalue()
    with queued.capture() as callbacks:
        call_command("requeue_stalled_jobs", stdout=out)
    assert "enqueued 1 again" in out.getvalue()
    queued.run(callbacks)
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.state == Job.State.DONE
    assert fresh.state == Job.State.QUEUED  # young: its worker may still take it
    assert lost.history.filter(history_change_reason="jobs.job.requeued").exists()


def test_the_cron_command_deletes_expired_job_files(officer):
    from io import StringIO

    from django.core.management import call_command

    job = JobFactory(started_by=officer, with_file=True)
    Job.objects.filter(pk=job.pk).update(result_expires_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("expire_job_results", stdout=out)
    assert "Job files: deleted 1." in out.getvalue()
    job.refresh_from_db()
    assert not job.result_file and job.result_filename == "record.pdf"
