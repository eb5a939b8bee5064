from django.core.management.base import BaseCommand
from django.db import connection

from apps.trail.guards import install_trail_guards


class Command(BaseCommand):
    help = (
        "Create or refresh the PostgreSQL triggers that refuse UPDATE and DELETE on every "
        "history table and on the trail (also run after every migrate)."
    )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("No guards installed: database triggers exist only on PostgreSQL.")
            return
        tables = install_trail_guards()
        self.stdout.write(self.style.SUCCESS(f"Guarded {len(tables)} tables."))
