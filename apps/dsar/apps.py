from django.apps import AppConfig


class DsarConfig(AppConfig):
    name = "apps.dsar"
    label = "dsar"
    verbose_name = "Data-subject requests"
