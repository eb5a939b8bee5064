from django.apps import AppConfig


class ProcessorsConfig(AppConfig):
    name = "apps.processors"
    label = "processors"
    verbose_name = "Processor and processing record"
