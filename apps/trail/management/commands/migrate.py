"""`migrate`, run as the tables' owner when MIGRATION_DATABASE_URL names one, which then gives
the application's role (DATABASE_URL) its rights: read and append history, never rewrite it."""

from django.conf import settings
from django.core.management.commands import migrate

from apps.trail.guards import grant_app_role, is_owner_connection, owner_connection, two_roles


class Command(migrate.Command):
    help = migrate.Command.help + (
        " With MIGRATION_DATABASE_URL set, runs as that (owner) role and then grants the "
        "application's role its rights."
    )

    def handle(self, *args, **options):
        database = options["database"]
        with owner_connection(database) as connection:
            super().handle(*args, **options)
            if connection.vendor == "postgresql" and two_roles() and is_owner_connection(database):
                grant_app_role(role=settings.DATABASE_APP_USER, using=database)
                if options["verbosity"] >= 1:
                    self.stdout.write(
                        f"Granted {settings.DATABASE_APP_USER} read and append on history."
                    )
