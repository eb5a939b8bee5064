from django.apps import AppConfig


class ProcessorsConfig(AppConfig):
    name = "apps.processors"
    label = "processors"
    verbose_name = "Processor and processing record"

    def ready(self):
        from apps.processors import branding  # noqa: F401  (keeps the cached brand current)
