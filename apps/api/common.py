"""What every endpoint module shares: id bounds, the documented errors, links."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Path, Query

from apps.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from apps.api.schemas import Problem

# Ids are 64-bit: anything larger is refused as invalid input before it reaches the database.
MAX_ID = 2**63 - 1
# References such as DSAR-2026-0001 and INC-2026-0001.
REFERENCE_PATTERN = r"^[A-Z]{2,10}-[0-9]{4}-[0-9]{1,10}$"

OrganisationId = Path(..., ge=1, le=MAX_ID, description="The organisation's id.")
Reference = Path(..., pattern=REFERENCE_PATTERN, max_length=30)
Cursor = Query(None, max_length=2000, description="The `next` link's cursor; opaque.")
Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")

READ_ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 409: Problem}


def link(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(reverse(f"api:{name}", kwargs=kwargs))


def binary_response(content_types: str | list[str], description: str) -> dict[str, Any]:
    """openapi_extra for an endpoint that answers a file."""
    types = [content_types] if isinstance(content_types, str) else content_types
    return {
        "responses": {
            200: {
                "description": description,
                "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in types},
            }
        }
    }
