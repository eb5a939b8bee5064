from django.contrib import admin
from django.urls import path

from apps.workspace.views import dashboard

app_name = "workspace"

# Mounted at the admin's root (config/urls.py), ahead of the admin's own index: "admin:index"
# and this page are one address, so every "Home" link of the admin leads here.
urlpatterns = [
    path("", admin.site.admin_view(dashboard), name="dashboard"),
]
