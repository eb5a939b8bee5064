"""An HTML form's fields as a browser submits them, for bench/locustfile.py's write journeys:
what a person sees filled in on a page is what is posted back, with their changes."""

import re
from html.parser import HTMLParser

MESSAGE_ERRORS = re.compile(r'<li class="error">(.*?)</li>', re.S)


class _Fields(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.forms: list[tuple[dict, list[tuple[str, str]]]] = []
        self.fields: list[tuple[str, str]] = []
        self.select: tuple[str, bool] | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("method") or "").lower() == "post"
            if self.inside:
                self.fields = []
                self.forms.append((a, self.fields))
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name and "disabled" not in a:
            self.select, self.options = (name, "multiple" in a), []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name and "disabled" not in a:
            self.textarea, self.text = name, []

    def handle_data(self, data):
        if self.textarea is not None:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            name, multiple = self.select
            chosen = [value for value, selected in self.options if selected]
            if not chosen and not multiple and self.options:
                chosen = [self.options[0][0]]  # a browser sends the first option
            self.fields += [(name, value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = "".join(self.text)
            self.fields.append((self.textarea, text[1:] if text.startswith("\n") else text))
            self.textarea = None


class Form:
    """The fields of the POST form on a page that has a field called `having`."""

    def __init__(self, html: str, having: str):
        parser = _Fields()
        parser.feed(html)
        found = [fields for _, fields in parser.forms if any(k == having for k, _ in fields)]
        if not found:
            raise LookupError(f"no form with a field {having!r} on the page")
        self.fields = list(found[0])

    def get(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]

    def set(self, name: str, *values) -> None:
        self.fields = [(k, v) for k, v in self.fields if k != name]
        self.fields += [(name, str(value)) for value in values]

    def data(self) -> list[tuple[str, str]]:
        return list(self.fields)


def refusals(html: str) -> list[str]:
    """The error messages a page shows: the admin's messages, a form's errors."""
    found = [re.sub(r"<[^>]+>", "", m).strip() for m in MESSAGE_ERRORS.findall(html)]
    if 'class="errornote"' in html:
        found.append("form errors: " + "; ".join(
            re.sub(r"<[^>]+>", "", m).strip()
            for m in re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', html, re.S)
        ))  # fmt: skip
    return found
