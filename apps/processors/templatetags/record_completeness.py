"""The completeness check of a controller's record, for pages of floors below this one (the
controller's admin page), which load it by name rather than import it."""

from django import template

from apps.processors.selectors import RecordGap, record_gaps

register = template.Library()


@register.simple_tag
def record_gaps_of(controller) -> list[str]:
    gaps: list[RecordGap] = record_gaps(controller=controller)
    return [gap.text for gap in gaps]
