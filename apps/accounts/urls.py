from django.contrib import admin
from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", views.enrol_start, name="two_factor_start"),
    path("two-factor/confirm/", views.enrol_confirm, name="two_factor_confirm"),
    # Staff only, signed in with a second factor: the admin's own gate.
    path("time-zone/", admin.site.admin_view(views.time_zone), name="time_zone"),
]
