from django.urls import include, path

from apps.portal import two_factor, views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/", views.activity_list, name="activity_list"),
    path("records/<int:activity_id>/", views.activity_detail, name="activity_detail"),
    path("subprocessors/", views.subprocessor_list, name="subprocessor_list"),
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("account/", views.account, name="account"),
    path("requests/", include("apps.dsar.portal_urls")),
    path("incidents/", include("apps.breaches.portal_urls")),
    # Deletion and return: record downloads, data exports, deletion requests.
    path("", include("apps.offboarding.urls")),
    path("switch/<int:controller_id>/", views.switch_controller, name="switch_controller"),
    path("audits/", include("apps.audit.portal_urls")),
    # Signing in and out, passwords, invitations.
    path("login/", two_factor.PortalLoginView.as_view(), name="login"),
    path("login/code/", two_factor.login_code, name="login_code"),
    path("account/two-factor/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/off/", two_factor.two_factor_disable, name="two_factor_disable"),
    path("members/two-factor/", two_factor.two_factor_policy, name="two_factor_policy"),
    path("logout/", views.logout_view, name="logout"),
    path("password/change/", views.password_change, name="password_change"),
    path("password/change/done/", views.password_change_done, name="password_change_done"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("invitation/<uidb64>/<token>/", views.invitation_accept, name="invitation_accept"),
]
