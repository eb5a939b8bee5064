"""The portal's API pages: an organisation's admins create and revoke API tokens, register
webhook endpoints, read their deliveries with the response codes, replay a delivery, pause and
resume an endpoint.

Every token, endpoint and message is fetched through the organisation's own (selectors of
apps.integrations), so another organisation's id is a 404. A secret (a token, an endpoint's
signing secret) is shown once: the page that creates it keeps it in the session only until the
next page has shown it, and only its hash (a token) or its encrypted form (a signing secret) is
stored.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from apps.integrations import selectors, services
from apps.integrations.models import WebhookEndpoint
from apps.portal.forms.integrations import ApiTokenForm, WebhookEndpointForm
from apps.portal.paging import paginate
from apps.portal.tenancy import MANAGE_ROLES, portal_view

NEW_SECRET = "portal_new_secret"


def _keep_secret(request, kind: str, pk: int, secret: str) -> None:
    request.session[NEW_SECRET] = {"kind": kind, "id": pk, "secret": secret}


def _take_secret(request, kind: str, pk: int | None = None) -> str | None:
    """The secret just made, once: it leaves the session as it is shown."""
    kept = request.session.get(NEW_SECRET)
    if not kept or kept.get("kind") != kind or (pk is not None and kept.get("id") != pk):
        return None
    del request.session[NEW_SECRET]
    return kept.get("secret")


def _endpoint_or_404(request, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(
        selectors.webhook_endpoints_for(controller=request.controller), pk=endpoint_id
    )


@portal_view(roles=MANAGE_ROLES)
def api_token_list(request):
    page = paginate(request, selectors.api_tokens_for(controller=request.controller))
    return render(
        request,
        "portal/integrations/token_list.html",
        {
            "page": page,
            "new_secret": _take_secret(request, "token"),
            "last_use_minutes": settings.API_TOKEN_LAST_USE_MINUTES,
        },
    )


@portal_view(roles=MANAGE_ROLES)
def api_token_create(request):
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.api_token_create(
                name=data["name"],
                scope=data["scope"],
                expires_at=form.expires_at(),
                includes_history=data["includes_history"],
                controller=request.controller,
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _keep_secret(request, "token", issued.token.pk, issued.secret)
            messages.success(request, f"Token “{issued.token.name}” is created. Copy it now.")
            return redirect("portal:api_token_list")
    return render(request, "portal/integrations/token_form.html", {"form": form})


@portal_view(roles=MANAGE_ROLES)
def api_token_revoke(request, token_id: int):
    token = get_object_or_404(selectors.api_tokens_for(controller=request.controller), pk=token_id)
    if request.method == "POST":
        try:
            services.api_token_revoke(token=token, by=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Token “{token.name}” is revoked; it works no more.")
        return redirect("portal:api_token_list")
    return render(request, "portal/integrations/token_revoke.html", {"token": token})


@portal_view(roles=MANAGE_ROLES)
def webhook_endpoint_list(request):
    page = paginate(request, selectors.webhook_endpoints_for(controller=request.controller))
    return render(request, "portal/integrations/endpoint_list.html", {"page": page})


@portal_view(roles=MANAGE_ROLES)
def webhook_endpoint_create(request):
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = services.webhook_endpoint_create(
                controller=request.controller,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _keep_secret(request, "endpoint", endpoint.pk, secret)
            messages.success(request, "The endpoint is registered. Copy its signing secret now.")
            return redirect("portal:webhook_endpoint_detail", endpoint_id=endpoint.pk)
    return render(
        request,
        "portal/integrations/endpoint_form.html",
        {"form": form, "timeout": settings.WEBHOOK_TIMEOUT},
    )


@portal_view(roles=MANAGE_ROLES)
def webhook_endpoint_detail(request, endpoint_id: int):
    endpoint = _endpoint_or_404(request, endpoint_id)
    page = paginate(request, selectors.webhook_messages_for(endpoint=endpoint))
    page.object_list = list(page.object_list)
    deliveries = selectors.webhook_delivery_states(messages=page.object_list)
    rows = [(message, deliveries.get(message.pk)) for message in page.object_list]
    return render(
        request,
        "portal/integrations/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "rows": rows,
            "new_secret": _take_secret(request, "endpoint", endpoint.pk),
        },
    )


@portal_view(roles=MANAGE_ROLES)
def webhook_endpoint_state(request, endpoint_id: int):
    """Pause an active endpoint, or resume a paused one (sending what it missed)."""
    endpoint = _endpoint_or_404(request, endpoint_id)
    pausing = endpoint.status == WebhookEndpoint.Status.ACTIVE
    if request.method == "POST":
        try:
            if pausing:
                services.webhook_endpoint_pause(endpoint=endpoint, by=request.user)
                messages.success(request, "The endpoint is paused; events wait for you to resume.")
            else:
                queued = services.webhook_endpoint_resume(endpoint=endpoint, by=request.user)
                messages.success(
                    request, f"The endpoint is active again; {queued} missed event(s) are sent."
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("portal:webhook_endpoint_detail", endpoint_id=endpoint.pk)
    return render(
        request,
        "portal/integrations/endpoint_state.html",
        {"endpoint": endpoint, "pausing": pausing},
    )


@portal_view(roles=MANAGE_ROLES)
def webhook_endpoint_delete(request, endpoint_id: int):
    endpoint = _endpoint_or_404(request, endpoint_id)
    if request.method == "POST":
        try:
            services.webhook_endpoint_delete(endpoint=endpoint, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("portal:webhook_endpoint_detail", endpoint_id=endpoint.pk)
        messages.success(request, f"{endpoint.url} receives nothing more.")
        return redirect("portal:webhook_endpoint_list")
    return render(request, "portal/integrations/endpoint_delete.html", {"endpoint": endpoint})


@portal_view(roles=MANAGE_ROLES)
def webhook_message_replay(request, endpoint_id: int, message_id: int):
    endpoint = _endpoint_or_404(request, endpoint_id)
    message = get_object_or_404(endpoint.messages.defer("payload"), pk=message_id)
    if request.method == "POST":
        try:
            services.webhook_message_replay(message=message, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{message.message_id} is sent again.")
        return redirect("portal:webhook_endpoint_detail", endpoint_id=endpoint.pk)
    return render(
        request,
        "portal/integrations/message_replay.html",
        {"endpoint": endpoint, "message": message},
    )
