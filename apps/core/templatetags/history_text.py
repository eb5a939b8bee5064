from django import template

from apps.core.reasons import reason_label

register = template.Library()


@register.filter(name="reason_label")
def reason_label_filter(reason):
    """`{{ entry.change_reason|reason_label }}`: a reason code in words."""
    return reason_label(reason)
