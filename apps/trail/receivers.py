"""Signal receivers: thin, they hand over to services."""

from django.apps import apps as global_apps

from apps.trail import services
from apps.trail.guards import install_trail_guards, is_owner_connection


def chain_history_row(sender, history_instance, using=None, **kwargs):
    services.trail_mark_record(history_row=history_instance, using=using or "default")


def guard_history_tables(sender, app_config=None, using="default", apps=None, **kwargs):
    # Once per migrate, after the last app with models (post_migrate skips the others), when
    # every table exists.
    with_models = [c for c in global_apps.get_app_configs() if c.models_module is not None]
    # Only the tables' owner can install triggers; `flush` (tests) signals as the application.
    if sender is with_models[-1] and is_owner_connection(using):
        install_trail_guards(using=using)
