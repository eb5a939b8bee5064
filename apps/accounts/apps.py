from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from django.db.models.signals import post_migrate

        # Imported once the app registry is ready: these modules reach the models.
        from apps.accounts import signals  # noqa: F401  (connects the security-event receivers)
        from apps.accounts.roles import sync_roles_after_migrate

        # New apps bring new models; their permissions exist only after migrate, so the roles
        # are brought up to date each time migrate finishes.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
