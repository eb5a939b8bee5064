"""API tokens and webhook endpoints in the admin.

Staff create their own personal tokens here: a token acts as its staff member, with that
member's role, and its secret is shown once, on the page that answers the form (never stored,
never put in a message or a session). Organisation tokens are made by customer admins in the
portal; staff read them and may revoke any. Webhook endpoints are read here; their
organisation's admins manage them in the portal.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.accounts.models import User
from apps.core.admin import (
    ReadOnlyAdminMixin,
    RegisterAdmin,
    acting_user,
    copy_saved_fields,
    run_per_row,
)
from apps.integrations.models import ApiToken, WebhookEndpoint
from apps.integrations.services import api_token_check, api_token_create, api_token_revoke


class PersonalTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "scope", "expires_at"]

    def _post_clean(self):
        # The token is made by the service in save_model; here only its rules, as field errors.
        data = self.cleaned_data
        if self.errors:
            return
        try:
            api_token_check(
                name=data.get("name", ""),
                scope=data.get("scope", ""),
                expires_at=data.get("expires_at"),
                now=timezone.now(),
            )
        except ValidationError as error:
            self.add_error(None, error)


@admin.register(ApiToken)
class ApiTokenAdmin(RegisterAdmin):
    list_display = [
        "name",
        "display_prefix",
        "owner",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", "created_at", "expires_at", "revoked_at"]
    search_fields = ["name", "prefix", "user__email", "controller__legal_name"]
    list_select_related = ["user", "controller"]
    actions = ["revoke_tokens"]
    readonly_fields = [
        "name",
        "display_prefix",
        "controller",
        "user",
        "scope",
        "includes_history",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
        "revoked_by",
    ]

    @admin.display(description="token")
    def display_prefix(self, obj):
        return f"{obj.display_prefix}…"

    @admin.display(description="whose")
    def owner(self, obj):
        if obj.controller_id:
            return f"{obj.controller} (created by {obj.user.email})"
        return f"{obj.user.email} (personal)"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # Who may delete tokens (Privacy Officers) or may not make one (Auditors, who review)
        # sees every token; anyone else only their own personal ones.
        user = request.user
        if user.has_perm("integrations.delete_apitoken") or not user.has_perm(
            "integrations.add_apitoken"
        ):
            return queryset
        return queryset.filter(user=user, controller__isnull=True)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PersonalTokenForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scope", "expires_at"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # a token is revoked, never deleted: its history stays whole

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on a token is edited; revoke it instead
        data = form.cleaned_data
        issued = api_token_create(
            name=data["name"],
            scope=data["scope"],
            expires_at=data["expires_at"],
            by=acting_user(request),
            request=request,
        )
        copy_saved_fields(obj, issued.token)
        # Read once by response_add, which shows it; it is never stored.
        request._issued_token_secret = issued.secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_issued_token_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return TemplateResponse(
            request,
            "admin/integrations/apitoken/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Your new API token",
                "token": obj,
                "secret": secret,
            },
        )

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        by: User = acting_user(request)
        run_per_row(
            self,
            request,
            queryset,
            lambda token: api_token_revoke(token=token, by=by, request=request),
            done="{count} token(s) revoked.",
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, RegisterAdmin):
    list_display = ["url", "controller", "status", "paused_at", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["url", "controller__legal_name"]
    list_select_related = ["controller"]
    fields = (
        "controller",
        "url",
        "description",
        "events",
        "status",
        "paused_at",
        "pause_reason",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
