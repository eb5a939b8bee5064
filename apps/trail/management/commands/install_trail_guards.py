from django.core.management.base import BaseCommand
from django.db import connection

from apps.trail.guards import install_trail_guards, owner_connection


class Command(BaseCommand):
    help = (
        "Create or refresh the PostgreSQL triggers that refuse UPDATE, DELETE and TRUNCATE on every "
        "history table and on the trail, and the scrub function (also run after every migrate)."
    )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("No guards installed: database triggers exist only on PostgreSQL.")
            return
        with owner_connection():
            tables = install_trail_guards()
        self.stdout.write(self.style.SUCCESS(f"Guarded {len(tables)} tables."))
