from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "API tokens and webhooks"

    def ready(self):
        from simple_history.signals import post_create_historical_record

        # Imported once the app registry is ready: the receivers and the transport reach models.
        from apps.integrations import events, transport

        # Webhooks ride the outbox as a second channel beside e-mail.
        transport.webhook_transport_register()
        # A history row whose change reason is a customer-facing event becomes a webhook
        # message, in the same transaction as the change it reports.
        post_create_historical_record.connect(
            events.webhook_events_from_history, dispatch_uid="integrations.webhook_events"
        )
