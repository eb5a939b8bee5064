from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data: `seed_demo` (the demo company and its customers), `seed_scale` (a large
    data set for the benchmark) and `demo_totp` (the demo staff's current sign-in codes)."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"
