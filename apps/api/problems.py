"""Every error of the API as `application/problem+json` (RFC 9457).

A problem has a `type` (a URI naming the kind of problem, which the API also serves as a page at
/api/v1/problems/<slug>), a `title` (the same for every problem of the type), the HTTP `status`,
a `detail` about this occurrence, the `instance` (the path asked for) and, for invalid input,
`errors`: one {"detail", "pointer"} per field of the body (a JSON pointer, as in RFC 9457's own
example), or {"detail", "parameter"} / {"detail", "header"} for the query, the path or a header.
"""

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int
    description: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    t.slug: t
    for t in (
        ProblemType(
            "invalid-request",
            "Your request is not valid",
            422,
            "A field, parameter or header is missing or wrong; `errors` names each one.",
        ),
        ProblemType(
            "unauthenticated",
            "No valid API token",
            401,
            "Send `Authorization: Bearer <token>` with a token that is neither expired nor "
            "revoked. An organisation's admins create tokens in the portal, staff in the admin.",
        ),
        ProblemType(
            "forbidden",
            "Not allowed with this token",
            403,
            "The token may not do this: it only reads, it lacks the change history, or the "
            "role of the staff member it belongs to does not allow it.",
        ),
        ProblemType(
            "not-found",
            "Not found",
            404,
            "Nothing of that name is reachable with this token. Another organisation's records "
            "answer the same as records that do not exist.",
        ),
        ProblemType(
            "method-not-allowed",
            "Method not allowed",
            405,
            "The URL exists, but not with this HTTP method.",
        ),
        ProblemType(
            "conflict",
            "The request conflicts with the record's state",
            409,
            "The record is in a state that refuses this (a closed request takes no reply; a "
            "notice is acknowledged once), or an Idempotency-Key was used for another request.",
        ),
        ProblemType(
            "too-many-requests",
            "Too many requests",
            429,
            "The token sent more requests in this minute than the limit allows; wait the "
            "seconds of the Retry-After header.",
        ),
        ProblemType(
            "server-error",
            "Something went wrong on our side",
            500,
            "The error is logged; nothing was changed. Try again later.",
        ),
    )
}
BY_STATUS = {t.status: t for t in PROBLEM_TYPES.values()}


def problem_type_uri(slug: str) -> str:
    return f"{settings.PORTAL_BASE_URL}/api/v1/problems/{slug}"


@dataclass
class Problem(Exception):
    """Raised anywhere in the API to answer with a problem."""

    status: int
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    kind = BY_STATUS.get(status) or BY_STATUS[422 if status < 500 else 500]
    body: dict[str, Any] = {
        "type": problem_type_uri(kind.slug),
        "title": kind.title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _pointer(path: tuple) -> str:
    return "#/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path)


def ninja_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Pydantic's errors as RFC 9457 entries: a pointer into the body, or the parameter named."""
    result = []
    for error in errors:
        location = tuple(error.get("loc") or ())
        message = str(error.get("msg") or "Invalid value.").removeprefix("Value error, ")
        source, rest = (location[0], location[1:]) if location else ("body", ())
        if source in ("body", "form", "file"):
            # ninja nests the body under the argument's name: the client never wrote that.
            if len(rest) > 1 and source == "body":
                rest = rest[1:]
            result.append({"detail": message, "pointer": _pointer(rest)})
        elif source == "header":
            result.append({"detail": message, "header": str(rest[-1] if rest else "")})
        else:
            result.append({"detail": message, "parameter": str(rest[-1] if rest else source)})
    return result


def django_errors(error: DjangoValidationError) -> list[dict[str, str]]:
    result = []
    for name, messages in error.message_dict.items():
        for message in messages:
            if name == "__all__":
                result.append({"detail": message, "pointer": "#/"})
            else:
                result.append({"detail": message, "pointer": _pointer((name,))})
    return result


def install_problem_handlers(api: Any) -> None:
    """Answer every error the API raises, and every one it does not expect, as a problem."""

    def on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
        return problem_response(
            request, status=exc.status, detail=exc.detail, errors=exc.errors, headers=exc.headers
        )

    def on_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return problem_response(
            request,
            status=422,
            detail="Some of what you sent is not valid; see `errors`.",
            errors=ninja_errors(list(exc.errors)),
        )

    def on_refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        # A service's refusal. With fields, the input was wrong; without, the record's state
        # refuses the change (a closed request, a notice already acknowledged).
        if hasattr(exc, "error_dict"):
            return problem_response(
                request,
                status=422,
                detail="Some of what you sent is not valid; see `errors`.",
                errors=django_errors(exc),
            )
        return problem_response(request, status=409, detail=" ".join(exc.messages))

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            request,
            status=401,
            detail="Send “Authorization: Bearer <token>” with a valid API token.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return problem_response(request, status=429, detail=str(exc))

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem_response(request, status=exc.status_code, detail=str(exc))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem_response(request, status=404, detail="Nothing of that name is reachable.")

    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem_response(request, status=403, detail=str(exc) or "Not allowed.")

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Whatever the request wrote is undone (ATOMIC_REQUESTS): the answer says so.
        logger.exception("API error on %s %s", request.method, request.path)
        if transaction.get_connection().in_atomic_block:
            transaction.set_rollback(True)
        return problem_response(
            request, status=500, detail="Something went wrong on our side; nothing was changed."
        )

    api.add_exception_handler(Problem, on_problem)
    api.add_exception_handler(NinjaValidationError, on_invalid)
    api.add_exception_handler(DjangoValidationError, on_refused)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(Throttled, on_throttled)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(PermissionDenied, on_forbidden)
    api.add_exception_handler(Exception, on_unexpected)
