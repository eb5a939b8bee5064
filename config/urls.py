from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from apps.core.views import health

admin.site.site_header = "Records of processing"
admin.site.site_title = "Records of processing"
admin.site.index_title = "Register administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
