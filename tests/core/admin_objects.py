"""One real object for every model registered in the admin, ours and the libraries'.

Our models come from the factories that measure the changelists (test_admin_queries.FACTORIES);
a few are made fuller here, so that their change pages show everything they can (an export with
its file, a deletion request with its certificate). The libraries' models (role groups,
two-factor devices, lockout records) are made directly.
"""

from collections.abc import Callable

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db.models import Model
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult, get_date_max

from apps.accounts.roles import PRIVACY_OFFICER
from apps.offboarding.models import DataExport, DeletionRequest
from tests import factories
from tests.core.test_admin_queries import FACTORIES


def data_export_with_its_file() -> DataExport:
    return factories.DataExportFactory(ready=True)


def deletion_request_with_its_certificate() -> DeletionRequest:
    deletion = factories.DeletionRequestFactory(status="completed")
    deletion.certificate.save("certificate.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    return deletion


def _access(model):
    def make():
        fields = {
            "user_agent": "Mozilla/5.0",
            "ip_address": "192.0.2.7",
            "username": "someone@customer.test",
            "http_accept": "text/html",
            "path_info": "/admin/login/",
        }
        if model is AccessAttempt:
            fields |= {"get_data": "", "post_data": "username=someone", "failures_since_start": 3}
        return model.objects.create(**fields)

    return make


ADMIN_OBJECTS: dict[type[Model], Callable[[], Model]] = {
    **FACTORIES,
    DataExport: data_export_with_its_file,
    DeletionRequest: deletion_request_with_its_certificate,
    Group: lambda: Group.objects.get(name=PRIVACY_OFFICER),
    TOTPDevice: lambda: TOTPDevice.objects.create(
        user=factories.StaffFactory(), name="Phone", confirmed=True
    ),
    StaticDevice: lambda: StaticDevice.objects.create(
        user=factories.StaffFactory(), name="Recovery codes", confirmed=True
    ),
    AccessAttempt: _access(AccessAttempt),
    AccessLog: _access(AccessLog),
    AccessFailureLog: _access(AccessFailureLog),
    DBTaskResult: lambda: DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {"ids": [1]}},
        task_path="apps.notifications.tasks.deliver_notifications",
        backend_name="default",
        run_after=get_date_max(),
    ),
}

REGISTERED = list(admin.site._registry)


def admin_url(model: type[Model], name: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)
