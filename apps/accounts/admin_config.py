from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """django.contrib.admin, with the two-factor staff site as the default admin.site."""

    default_site = "apps.accounts.admin_site.StaffAdminSite"
