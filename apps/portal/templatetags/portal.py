from django import template

from apps.portal import areas

register = template.Library()


@register.filter
def page_open(request, name: str) -> bool:
    """Whether to show a link to the portal page `name`: `{% if request|page_open:"dsar_ticket_list" %}`.

    The gate's own rule (apps/portal/areas.py): an auditor under a grant sees links only to the
    pages of the granted areas; for everyone else the audit hides nothing.
    """
    return areas.page_open(request, name)


@register.filter
def country_names(countries) -> str:
    """ "Germany, United States" from a django-countries multiple field."""
    return ", ".join(country.name for country in countries)


@register.filter
def duration_words(delta) -> str:
    """ "15 minutes", "2 hours", "1 hour 30 minutes" from a timedelta."""
    minutes = max(1, round(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
