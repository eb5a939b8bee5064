from django.urls import path

from apps.portal.views import public

app_name = "public"

urlpatterns = [
    path("subprocessors/", public.subprocessor_list, name="subprocessor_list"),
    path("subprocessors.json", public.subprocessor_json, name="subprocessor_json"),
    path("subprocessors/feed/", public.SubprocessorChangesFeed(), name="subprocessor_feed"),
]
