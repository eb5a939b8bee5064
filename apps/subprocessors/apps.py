from django.apps import AppConfig


class SubprocessorsConfig(AppConfig):
    name = "apps.subprocessors"
    label = "subprocessors"
    verbose_name = "Subprocessors and transfers"
