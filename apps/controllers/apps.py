from django.apps import AppConfig


class ControllersConfig(AppConfig):
    name = "apps.controllers"
    label = "controllers"
    verbose_name = "Controllers (customers)"
