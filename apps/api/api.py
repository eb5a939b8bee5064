"""The REST API, version 1: one NinjaAPI with a router per area, mounted at /api/v1/.

Its OpenAPI 3.1 document is /api/v1/openapi.json and the interactive docs /api/v1/docs
(django-ninja's Swagger UI, served from our static files and started from a static script, so
the Content-Security-Policy stays without inline script). Every answer other than a success is
`application/problem+json` (problems.py), and the document says so.
"""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Path, Router, Swagger

from apps.api import breaches, organisations, requests, subprocessors
from apps.api.auth import TokenAuth
from apps.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, install_problem_handlers
from apps.api.problems import problem_type_uri as type_uri
from apps.api.schemas import Problem, ProblemTypeOut

DESCRIPTION = """
The records-of-processing API: pass on data-subject requests and follow them, read and
acknowledge breach notices, read subprocessors and their changes and object to them, read the
record of processing and its change history.

**Authentication.** `Authorization: Bearer ropa_…`. An organisation's admins create tokens in
the portal (*API*): read only, or read and write, with an expiry; a token reaches
its own organisation only (any other id answers 404, as a record that does not exist). Staff
create personal tokens in the admin; they act with the staff member's role.

**Lists** are cursor-paginated: follow `next` until it is null. **Errors** are RFC 9457 problem
details (`application/problem+json`). **Rate limit:** requests per minute per token; past it,
429 with `Retry-After`. **Retries:** send `Idempotency-Key` when passing on a request, so a
retry makes one request.
"""


class RecordsApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        # Errors are problem details: the document names their media type.
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content") or {}
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
        return schema


api = RecordsApi(
    title="Records of processing API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    # No badge from the public validator service: the docs page loads nothing from elsewhere.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
install_problem_handlers(api)

problems_router = Router(tags=["Problem types"])


@problems_router.get(
    "/problems/{slug}",
    auth=None,
    response={200: ProblemTypeOut, 404: Problem, 422: Problem},
    url_name="problem_type",
    summary="What a problem type means",
)
def problem_type(request: HttpRequest, slug: str = Path(..., max_length=40)):
    """The page each problem's `type` names: no token needed."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise Http404("No such problem type.")
    return {
        "type": type_uri(kind.slug),
        "title": kind.title,
        "status": kind.status,
        "description": kind.description,
    }


api.add_router("", organisations.router)
api.add_router("", requests.router)
api.add_router("", breaches.router)
api.add_router("", subprocessors.router)
api.add_router("", problems_router)
