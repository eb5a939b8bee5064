from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "apps.breaches"
    verbose_name = "Breach incidents"
