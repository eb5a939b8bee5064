from django import template

register = template.Library()


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
