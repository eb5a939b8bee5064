from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The staff workspace: the admin's home page, which tells each role what needs doing now.

    A door on the top floor: it reads every domain area (requests, incidents, the register, the
    outbox, jobs), which the admin site itself, on the accounts floor, may not import."""

    name = "apps.workspace"
    label = "workspace"
    verbose_name = "Staff workspace"
