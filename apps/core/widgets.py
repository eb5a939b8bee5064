"""Widgets that render long option lists without a template render per option."""

from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_countries.widgets import LazySelect, LazySelectMultiple


class WrittenOptionsMixin:
    """A <select> whose options are written in Python.

    Django renders each <option> through its own template: about 250 countries cost several
    milliseconds per select, and an inline shows one select per row. The markup is Django's, with the
    attributes in sorted order, escaped the same way.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        "" if option["value"] is None else option["value"],
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # every part is escaped by format_html


class CountrySelect(WrittenOptionsMixin, LazySelect):
    pass


class CountrySelectMultiple(WrittenOptionsMixin, LazySelectMultiple):
    pass
