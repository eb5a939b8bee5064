from django.apps import AppConfig


class OffboardingConfig(AppConfig):
    name = "apps.offboarding"
    label = "offboarding"
    verbose_name = "Deletion and return of data"
