"""Signal receivers: thin, they hand over to services."""

from apps.audit import services


def chain_history_row(sender, history_instance, using=None, **kwargs):
    services.trail_entry_record(history_row=history_instance, using=using or "default")


def guard_history_tables(sender, app_config=None, using="default", apps=None, **kwargs):
    from django.apps import apps as global_apps

    # Once per migrate, after the last app, when every table exists.
    if sender is list(global_apps.get_app_configs())[-1]:
        from apps.audit.guards import install_trail_guards

        install_trail_guards(using=using)
