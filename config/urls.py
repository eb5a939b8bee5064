from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Records of processing"
admin.site.site_title = "Records of processing"
admin.site.index_title = "Register administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("portal/", include("apps.portal.urls")),
    path("", include("apps.portal.public_urls")),
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
]
