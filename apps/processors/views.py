from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from apps.processors.branding import current_brand
from apps.processors.logo import logo_storage


@require_safe
def processor_logo(request: HttpRequest, version: str) -> FileResponse:
    """The logo heading the pages, to anyone (the sign-in pages show it too). Only the current
    logo answers, by the name derived from its file: no other upload can be reached or guessed."""
    brand = current_brand()
    if not brand.logo_name or version != brand.logo_version:
        raise Http404("No such logo.")
    try:
        file = logo_storage().open(brand.logo_name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation) as error:
        raise Http404("No such logo.") from error
    response = FileResponse(file, content_type=brand.logo_content_type)
    # A new upload gets a new URL, so this one never changes.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
