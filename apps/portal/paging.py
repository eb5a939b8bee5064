"""How every portal list reads its page and its status filter from the query string."""

from collections.abc import Container, Sequence

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, items: QuerySet | Sequence, *, size: int | None = None) -> Page:
    """The page `?page=` asks for; a missing, wrong or too large number gives the first or the
    last page rather than an error."""
    paginator = Paginator(items, size or settings.PORTAL_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def status_filter(request: HttpRequest, filters: Container[str]) -> str:
    """The list filter `?status=` names, or "all" for a missing or unknown one."""
    which = request.GET.get("status", "all")
    return which if which in filters else "all"
