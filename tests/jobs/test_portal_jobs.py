"""A customer user's job pages: only the person who started the job, in the organisation it
belongs to, opens them; anyone else, and another organisation, gets a 404."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from apps.controllers.models import Membership
from apps.jobs.models import Job
from apps.jobs.services import job_begin, job_progress, job_start
from tests.factories import JobFactory, MembershipFactory
from tests.jobs.tasks import count_to

pytestmark = pytest.mark.django_db

NAMES = ("job_detail", "job_status", "job_download")


def url(name, job):
    return reverse(f"portal:{name}", kwargs={"job_id": job.pk})


@pytest.fixture
def job_of_owner(controller_a, owner):
    return JobFactory(controller=controller_a, started_by=owner, with_file=True, title="Alpha PDF")


def test_the_person_who_started_a_job_opens_its_page_status_and_file(client, owner, job_of_owner):
    client.force_login(owner)
    page = client.get(url("job_detail", job_of_owner))
    assert page.status_code == 200
    assert "Alpha PDF" in page.content.decode()
    assert url("job_download", job_of_owner) in page.content.decode()
    status = client.get(url("job_status", job_of_owner))
    assert status["Cache-Control"] == "private, no-store"
    assert status.json()["state"] == "done"
    assert status.json()["download_url"] == url("job_download", job_of_owner)
    download = client.get(url("job_download", job_of_owner))
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("name", NAMES)
def test_another_organisations_user_gets_404(client, outsider, job_of_owner, name):
    client.force_login(outsider)
    assert client.get(url(name, job_of_owner)).status_code == 404


def test_another_organisation_cannot_retry_it(client, outsider, job_of_owner):
    client.force_login(outsider)
    assert client.post(url("job_retry", job_of_owner)).status_code == 404


@pytest.mark.parametrize("name", NAMES)
def test_a_colleague_in_the_same_organisation_gets_404(client, member, job_of_owner, name):
    client.force_login(member)
    assert client.get(url(name, job_of_owner)).status_code == 404


def test_the_starter_acting_for_another_organisation_gets_404(
    client, owner, controller_b, job_of_owner
):
    # The owner is also an admin of B, and works for B now: A's job is out of scope.
    MembershipFactory(user=owner, controller=controller_b, role=Membership.Role.ADMIN)
    client.force_login(owner)
    client.post(reverse("portal:switch_controller", kwargs={"controller_id": controller_b.pk}))
    for name in NAMES:
        assert client.get(url(name, job_of_owner)).status_code == 404


def test_a_staff_members_job_for_the_organisation_is_not_in_the_portal(client, owner, controller_a):
    staff_job = JobFactory(controller=controller_a)  # started by staff in the admin
    client.force_login(owner)
    assert client.get(url("job_detail", staff_job)).status_code == 404


@pytest.mark.parametrize("name", [*NAMES, "job_retry"])
def test_a_visitor_is_sent_to_sign_in(client, job_of_owner, name):
    response = (
        client.post(url(name, job_of_owner))
        if name == "job_retry"
        else client.get(url(name, job_of_owner))
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next=")


def test_a_running_jobs_page_shows_a_progress_bar_updated_by_a_static_script(
    client, owner, controller_a
):
    job = job_start(
        task=count_to,
        kind="tests.count",
        title="Counting for Alpha",
        by=owner,
        controller=controller_a,
        arguments={"n": 10},
    )
    run = job_begin(job_id=job.pk)
    run.updated_at -= timedelta(seconds=5)
    job_progress(job=run, done=3, total=10, step="Counting")
    client.force_login(owner)
    response = client.get(url("job_detail", job))
    page = response.content.decode()
    assert f'data-job-status-url="{url("job_status", job)}"' in page
    assert '<progress id="job-progress" data-job-progress max="10" value="3">30%</progress>' in page
    assert "3 of 10" in page and "Counting" in page
    assert f'href="{url("job_detail", job)}">Reload this page</a>' in page
    assert re.search(r'<script src="[^"]*/js/job-progress\.js" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
    assert " style=" not in page  # no inline style either
    csp = response["Content-Security-Policy"]
    assert re.search(r"script-src ([^;]*)", csp).group(1) == "'self'"
    assert re.search(r"style-src ([^;]*)", csp).group(1) == "'self'"
    status = client.get(url("job_status", job)).json()
    assert (status["state"], status["done"], status["total"], status["percent"]) == (
        "running",
        3,
        10,
        30,
    )
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING
