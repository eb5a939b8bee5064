from django.http import FileResponse

from apps.dsar.models import DsarAttachment


def attachment_response(attachment: DsarAttachment) -> FileResponse:
    """The file as a download, never rendered inline. Callers check the viewer's right first
    (dsar_attachment_can_download)."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
