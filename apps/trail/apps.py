from django.apps import AppConfig


class TrailConfig(AppConfig):
    name = "apps.trail"
    label = "trail"
    verbose_name = "Audit trail"

    def ready(self):
        from django.db.models.signals import post_migrate
        from simple_history.signals import post_create_historical_record

        # Imported once the app registry is ready: the receivers reach the models.
        from apps.trail import receivers

        post_create_historical_record.connect(
            receivers.chain_history_row, dispatch_uid="trail.chain_history_row"
        )
        # Apps installed later bring new history tables: guard them after every migrate.
        post_migrate.connect(receivers.guard_history_tables, dispatch_uid="trail.guard_tables")
