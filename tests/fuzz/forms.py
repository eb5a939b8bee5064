"""The POST forms of a rendered page, read from its HTML: what a browser would send.

Reading the fields from the page rather than from the form classes means a field added to a
template or a form is fuzzed without a change here.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve


@dataclass
class Field:
    name: str
    kind: (
        str  # the input type ("text", "email", "datetime-local", "file", ...), "textarea", "select"
    )
    value: str = ""  # what the browser would send untouched ("" for an unchecked box)
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    selected: list[str] = field(default_factory=list)


@dataclass
class PostForm:
    action: str  # the URL the form posts to
    fields: list[Field] = field(default_factory=list)
    multipart: bool = False
    # The empty row an admin inline renders for "Add another" (names hold "__prefix__").
    row_templates: list[Field] = field(default_factory=list)

    @property
    def url_name(self) -> str | None:
        try:
            match = resolve(urlsplit(self.action).path)
        except Resolver404:
            return None
        return match.view_name

    def baseline(self) -> dict:
        """The data a browser posts when the user changes nothing."""
        data: dict = {}
        for f in self.fields:
            if f.kind == "select":
                chosen = f.selected or ([] if f.multiple else f.options[:1])
                if chosen:
                    data[f.name] = chosen if f.multiple else chosen[0]
            elif f.kind in ("checkbox", "radio"):
                if f.selected:
                    data[f.name] = f.selected if f.kind == "checkbox" else f.selected[0]
            elif f.kind != "file":
                data[f.name] = f.value
        return data


class _FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PostForm] = []
        self._form: PostForm | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._option: tuple[str, bool] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = PostForm(
                    action=a.get("action") or self.page_url,
                    multipart="multipart" in a.get("enctype", ""),
                )
                self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option_seen(a)
            return
        name = a["name"]
        fields = self._form.fields
        if "__prefix__" in name:
            fields = self._form.row_templates
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            checked = "checked" in a
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                existing = next((f for f in fields if f.name == name), None)
                if existing is None:
                    existing = Field(name=name, kind=kind, multiple=kind == "checkbox")
                    fields.append(existing)
                existing.options.append(value)
                if checked:
                    existing.selected.append(value)
                    existing.value = value
                return
            fields.append(Field(name=name, kind=kind, value=value))
        elif tag == "textarea":
            self._textarea = Field(name=name, kind="textarea")
            fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(name=name, kind="select", multiple="multiple" in a)
            fields.append(self._select)

    def _option_seen(self, a):
        value = a.get("value", "")
        self._select.options.append(value)
        if "selected" in a:
            self._select.selected.append(value)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            # Django renders a newline right after <textarea>; browsers drop it.
            self._textarea.value += data.removeprefix("\n") if not self._textarea.value else data


def post_forms(response, page_url: str) -> list[PostForm]:
    parser = _FormParser(page_url)
    parser.feed(response.content.decode())
    return parser.forms
