"""Subprocessors with their transfers, announced changes, and the organisation's objections.

Subprocessors and changes are the same for every customer (the public list shows them too);
objections are the organisation's own, fetched through its own, so another's is never seen.
"""

from typing import Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from apps.api.common import READ_ERRORS, WRITE_ERRORS, Cursor, Limit, OrganisationId
from apps.api.pagination import cursor_page
from apps.api.schemas import ChangePage, ObjectionIn, ObjectionOut, ObjectionPage, SubprocessorPage
from apps.api.scoping import SUBPROCESSORS, organisation_for
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange
from apps.subprocessors.selectors import (
    subprocessor_active_list,
    subprocessor_changes_published,
)
from apps.subprocessors.services import objection_raise

router = Router(tags=["Subprocessors and objections"])


def _subprocessor_out(subprocessor: Subprocessor) -> dict:
    return {
        "id": subprocessor.pk,
        "name": subprocessor.name,
        "legal_entity": subprocessor.legal_entity,
        "service": subprocessor.service,
        "processing_locations": [c.code for c in subprocessor.processing_locations],
        "status": subprocessor.status,
        "engaged_on": subprocessor.engaged_on,
        "certifications": subprocessor.certifications,
        "website": subprocessor.website,
        "transfers": [
            {
                "destination_country": t.destination_country.code,
                "mechanism": t.mechanism,
                "scc_module": t.scc_module,
                "document_reference": t.document_reference,
                "tia_completed_on": t.tia_completed_on,
            }
            for t in subprocessor.transfers.all()
        ],
    }


def objection_out(objection: Objection) -> dict:
    return {
        "id": objection.pk,
        "change_id": objection.change_id,
        "reason": objection.reason,
        "status": objection.status,
        "resolution": objection.resolution,
        "consequence": objection.consequence,
        "termination_on": objection.termination_on,
        "raised_at": objection.created_at,
        "resolved_at": objection.resolved_at,
    }


def _change_out(change: SubprocessorChange) -> dict:
    own = change.own_objections  # type: ignore[attr-defined]
    return {
        "id": change.pk,
        "kind": change.kind,
        "subprocessor": change.subprocessor.name,
        "replaces": change.replaces.name if change.replaces is not None else None,
        "description": change.description,
        "announced_at": change.announced_at,
        "effective_at": change.effective_at,
        "status": change.status,
        "objection": objection_out(own[0]) if own else None,
    }


@router.get(
    "/organisations/{organisation_id}/subprocessors",
    response={200: SubprocessorPage, **READ_ERRORS},
    url_name="subprocessor_list",
    summary="The subprocessors engaged now, with their transfers",
)
def subprocessor_list(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """By name. Queries: the page, their transfers."""
    organisation_for(request, organisation_id, area=SUBPROCESSORS)
    return cursor_page(
        request,
        subprocessor_active_list(),
        keys=("name", "pk"),
        cursor=cursor,
        limit=limit,
        serialize=_subprocessor_out,
    )


@router.get(
    "/organisations/{organisation_id}/subprocessor-changes",
    response={200: ChangePage, **READ_ERRORS},
    url_name="subprocessor_change_list",
    summary="Announced subprocessor changes, with your objection to each",
)
def subprocessor_change_list(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    status: Literal["announced", "effective", "cancelled"] | None = None,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """Newest announcement first; `announced` are those you may still object to until they take
    effect. Queries: the page with subprocessors, your objections to them."""
    controller = organisation_for(request, organisation_id, area=SUBPROCESSORS)
    own = Objection.objects.filter(controller=controller)
    changes = subprocessor_changes_published().prefetch_related(
        Prefetch("objections", queryset=own, to_attr="own_objections")
    )
    if status:
        changes = changes.filter(status=status)
    return cursor_page(
        request,
        changes,
        keys=("-announced_at", "-pk"),
        cursor=cursor,
        limit=limit,
        serialize=_change_out,
    )


@router.get(
    "/organisations/{organisation_id}/objections",
    response={200: ObjectionPage, **READ_ERRORS},
    url_name="objection_list",
    summary="Your organisation's objections and our answers",
)
def objection_list(
    request: HttpRequest,
    organisation_id: int = OrganisationId,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    controller = organisation_for(request, organisation_id, area=SUBPROCESSORS)
    return cursor_page(
        request,
        Objection.objects.filter(controller=controller),
        keys=("-created_at", "-pk"),
        cursor=cursor,
        limit=limit,
        serialize=objection_out,
    )


@router.post(
    "/organisations/{organisation_id}/objections",
    response={201: ObjectionOut, **WRITE_ERRORS},
    url_name="objection_raise",
    summary="Object to an announced subprocessor change",
)
def objection_create(
    request: HttpRequest, payload: ObjectionIn, organisation_id: int = OrganisationId
):
    """Once per change, with a reason, before it takes effect (else 409). Our privacy team is
    told; the answer comes as the objection's status and resolution (and the webhook event
    `objection.answered`)."""
    controller = organisation_for(
        request, organisation_id, area=SUBPROCESSORS, staff_write="subprocessors.add_objection"
    )
    change = get_object_or_404(SubprocessorChange, pk=payload.change_id)
    objection = objection_raise(
        change=change,
        controller=controller,
        reason=payload.reason,
        by=request.user,  # type: ignore[arg-type]
    )
    return Status(201, objection_out(objection))
