"""The retention schedule for templates of floors below this one (the record of processing),
which load it by name rather than import it."""

from django import template

from apps.retention.schedule import CATEGORIES, Category

register = template.Library()


@register.simple_tag
def retention_of_customers_data() -> list[Category]:
    """The categories of the schedule that concern customers' data, with their periods."""
    return [category for category in CATEGORIES if category.customers_data]
