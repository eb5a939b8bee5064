# The trail moved to its own app (apps.trail, migration 0001); its tables were renamed there.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_customer_audits"),
        ("trail", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="trailscrub",
                    name="entry",
                ),
                migrations.RemoveField(
                    model_name="trailscrub",
                    name="scrubbed_by",
                ),
                migrations.DeleteModel(
                    name="TrailEntry",
                ),
                migrations.DeleteModel(
                    name="TrailScrub",
                ),
            ],
        ),
    ]
