from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", views.enrol_start, name="two_factor_start"),
    path("two-factor/confirm/", views.enrol_confirm, name="two_factor_confirm"),
]
