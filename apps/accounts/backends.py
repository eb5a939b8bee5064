"""The authentication backend: Django's ModelBackend, reading with the signed-in user, in the
same query, what nearly every page asks next, so that a page does not pay three more round
trips for it:

- the user's own permissions and its groups' permissions, put in ModelBackend's per-request
  caches as ModelBackend would fill them (a superuser's are left to ModelBackend: it has every
  permission);
- the persistent ids of its confirmed second-factor devices, against which
  `apps.accounts.middleware.SessionDeviceOTPMiddleware` checks the device the session was
  verified with.

All of it is read afresh on every request, as before: a permission taken away, a device
removed or an account deactivated counts from the next request on.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Aggregate, CharField, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Concat
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

# Device models whose confirmed devices are read with the user; another kind of device is
# looked up by django-otp itself.
DEVICE_MODELS = (TOTPDevice, StaticDevice)


class _Joined(Aggregate):
    """A column's values joined with commas: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _joined(queryset: QuerySet, expression) -> Subquery:
    # One row over every row of the queryset (no GROUP BY), NULL when there are none.
    return Subquery(
        queryset.order_by()
        .annotate(_all=Value(1))
        .values("_all")
        .annotate(joined=_Joined(expression))
        .values("joined")
    )


def _split(joined: str | None) -> set[str]:
    return set(joined.split(",")) if joined else set()


def _with_access(queryset: QuerySet) -> QuerySet:
    name = Concat("content_type__app_label", Value("."), "codename", output_field=CharField())
    user = OuterRef("pk")
    devices = {
        f"confirmed_{model._meta.model_name}_ids": _joined(
            model.objects.filter(user=user, confirmed=True), Cast("pk", TextField())
        )
        for model in DEVICE_MODELS
    }
    return queryset.annotate(
        own_permissions=_joined(Permission.objects.filter(user=user), name),
        group_permissions=_joined(Permission.objects.filter(group__user=user), name),
        **devices,
    )


class UserAccessBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        user = _with_access(User._default_manager.filter(pk=user_id)).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        if not user.is_superuser:
            # ModelBackend's own caches ("app_label.codename"): has_perm then reads no table.
            user._user_perm_cache = _split(user.own_permissions)
            user._group_perm_cache = _split(user.group_permissions)
            user._perm_cache = user._user_perm_cache | user._group_perm_cache
        user.confirmed_devices = frozenset(
            f"{model._meta.label_lower}/{pk}"
            for model in DEVICE_MODELS
            for pk in _split(getattr(user, f"confirmed_{model._meta.model_name}_ids"))
        )
        return user
