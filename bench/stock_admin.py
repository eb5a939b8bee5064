"""The stock admin, for the benchmark's side-by-side (config/bench_settings.py): every model of
the project's admin registered again, on a second site, with plain `SimpleHistoryAdmin` and
nothing else: no list columns, select_related, autocompletes, estimated counts or paginated
history. The URLs are the project's, plus this site at /stock-admin/."""

from django.contrib import admin
from django.urls import path
from simple_history.admin import SimpleHistoryAdmin

from config.urls import urlpatterns as project_urlpatterns


class StockAdmin(SimpleHistoryAdmin):
    # Django's own pages: the project's templates for a model's pages link to its admin's views.
    change_form_template = "admin/change_form.html"
    change_list_template = "admin/change_list.html"


site = admin.AdminSite(name="stock_admin")
for model in admin.site._registry:
    if model._meta.app_config.name.startswith("apps."):
        site.register(model, StockAdmin)

urlpatterns = [path("stock-admin/", site.urls), *project_urlpatterns]
