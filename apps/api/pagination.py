"""Cursor pages for every list: `{"items": [...], "next": URL or null}`.

A page is read by keyset on the list's ordering (its last key is the primary key, so the order
is total): no COUNT, no OFFSET, the same cost on page 1 and page 1,000, and no row skipped or
repeated when rows arrive between two pages. The cursor is opaque to clients: the position,
signed, so a changed or made-up cursor is refused (422), never a 500.
"""

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict

from apps.api.problems import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "api.cursor"


def cursor_encode(position: list[Any]) -> str:
    return signing.dumps(position, salt=_SALT, compress=True)


def cursor_decode(cursor: str) -> list[Any]:
    try:
        position = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        position = None
    if not isinstance(position, list):
        raise Problem(
            status=422,
            detail="The cursor is not one this API gave out; start again without it.",
            errors=[{"detail": "Not a cursor of this list.", "parameter": "cursor"}],
        )
    return position


def next_link(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = QueryDict(mutable=True)
    query.update(request.GET)
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _plain(value: Any) -> Any:
    # Dates travel tagged, so the position reads back as the type it was written from.
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and set(value) == {"d"}:
        return datetime.date.fromisoformat(value["d"])
    if isinstance(value, int | str) and not isinstance(value, bool):
        return value
    raise ValueError("not a position")


def _after(keys: Sequence[str], values: list[Any]) -> Q:
    """Rows after the position `values` in the order `keys` ("-submitted_at", "-pk")."""
    condition = Q(pk__in=[])
    for i, key in enumerate(keys):
        name = key.lstrip("-")
        step = Q(**{f"{name}__{'lt' if key.startswith('-') else 'gt'}": values[i]})
        for earlier, value in zip(keys[:i], values[:i], strict=False):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    return condition


def cursor_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    keys: Sequence[str],
    cursor: str | None,
    limit: int,
    serialize: Callable[[Any], Any],
) -> dict[str, Any]:
    """One page of `queryset` in the order `keys` (the last one "pk" or "-pk").

    One query for the rows (limit + 1, to know whether a next page exists), plus whatever the
    queryset prefetches.
    """
    queryset = queryset.order_by(*keys)
    if cursor:
        values = cursor_decode(cursor)
        if len(values) != len(keys):
            raise Problem(
                status=422,
                detail="The cursor is not one of this list; start again without it.",
                errors=[{"detail": "Not a cursor of this list.", "parameter": "cursor"}],
            )
        try:
            typed = [_typed(v) for v in values]
        except (TypeError, ValueError):
            raise Problem(status=422, detail="The cursor cannot be read.") from None
        queryset = queryset.filter(_after(keys, typed))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = cursor_encode([_plain(getattr(last, k.lstrip("-"))) for k in keys])
    return {"items": [serialize(row) for row in rows], "next": next_link(request, next_cursor)}


def keyed_page(
    request: HttpRequest, *, items: list[Any], next_position: str | None
) -> dict[str, Any]:
    """A page read by another keyset reader (the trail's): its position, signed as ours."""
    cursor = cursor_encode([next_position]) if next_position else None
    return {"items": items, "next": next_link(request, cursor)}
