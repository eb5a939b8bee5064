"""The API's URLs: ninja's operations, and a problem for any other path under /api/v1/.

Included at /api/v1/ (config/urls.py) in the "api" namespace.
"""

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.views.decorators.common import no_append_slash

from apps.api.api import api
from apps.api.problems import PROBLEM_CONTENT_TYPE, problem_response


def _problem_for_wrong_method(view):
    """ninja answers a method a path does not take with a bare 405: make it a problem."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type") != PROBLEM_CONTENT_TYPE:
            allowed = response.get("Allow", "")
            return problem_response(
                request,
                status=405,
                detail=f"This URL takes {allowed or 'other methods'}, not {request.method}.",
                headers={"Allow": allowed} if allowed else {},
            )
        return response

    return wrapped


@no_append_slash
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return problem_response(request, status=404, detail="There is no such URL in the API.")


app_name = "api"
patterns, _, _ = api.urls
urlpatterns = [
    URLPattern(p.pattern, _problem_for_wrong_method(p.callback), p.default_args, p.name)
    if isinstance(p, URLPattern)
    else p
    for p in patterns
]
urlpatterns.append(re_path(r"^(?P<path>.*)$", not_found, name="not_found"))
