from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.forms import TimeZoneChoiceField
from apps.accounts.models import SecurityEvent, User
from apps.core.admin import ReadOnlyAdminMixin, RegisterAdmin, offered_lookups_only

# The libraries' admins of what this app looks after (role groups, two-factor devices, lockouts),
# registered again with the project's rule on list lookups: only the filters a list shows.
# Their apps come before ours in INSTALLED_APPS, so their admins are registered by now.
for library_model in (Group, TOTPDevice, StaticDevice, AccessAttempt, AccessLog, AccessFailureLog):
    if not admin.site.is_registered(library_model):
        continue
    library_admin = type(admin.site.get_model_admin(library_model))
    admin.site.unregister(library_model)
    admin.site.register(library_model, offered_lookups_only(library_admin))


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(RegisterAdmin, DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "time_zone")}),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            return TimeZoneChoiceField(
                blank_label="Default (staff: the processor's; customers: their organisation's)",
                label="Time zone",
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Roles are handed out as groups; only a superuser makes superusers or grants
        # permissions one by one, so no role can lift itself above the role table.
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdminMixin, RegisterAdmin):
    """The log is written by the product itself; nobody adds, edits or removes an event."""

    list_display = ["created_at", "kind", "user", "username", "ip_address", "path"]
    list_filter = ["kind", "created_at"]
    search_fields = ["username", "user__email", "ip_address", "path"]
    list_select_related = ["user"]
    readonly_fields = ["kind", "user", "username", "ip_address", "path", "detail", "created_at"]
