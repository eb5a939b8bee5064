from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from django.db.models.signals import post_migrate
        from simple_history.signals import post_create_historical_record

        from apps.audit import receivers

        post_create_historical_record.connect(
            receivers.chain_history_row, dispatch_uid="audit.chain_history_row"
        )
        # Apps installed later bring new history tables: guard them after every migrate.
        post_migrate.connect(receivers.guard_history_tables, dispatch_uid="audit.guard_tables")
