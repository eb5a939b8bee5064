from django.utils.functional import SimpleLazyObject

from apps.processors.branding import current_brand


def brand(request) -> dict:
    """`brand`: the name and logo heading every page, read only by pages that show it."""
    return {"brand": SimpleLazyObject(current_brand)}
