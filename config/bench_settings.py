"""Settings for the load benchmark (bench/run) only: the production settings, plus a second
admin site at /stock-admin/ that serves the same models through plain `SimpleHistoryAdmin`
registrations (bench/stock_admin.py), to compare page for page with what a team would get from
Django's stock admin. Never used to serve the product."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.stock_admin"
