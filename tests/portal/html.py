"""What a page's HTML offers a screen-reader user: headings, labels, errors tied to fields."""

from html.parser import HTMLParser


class PageStructure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1_count = 0
        self.label_for = set()
        self.fields = []  # (tag, attrs) of every visible input, select and textarea
        self.ids = set()
        self.forms = 0
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "h1":
            self.h1_count += 1
        elif tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        elif tag == "form":
            self.forms += 1
        elif tag == "script" and not attrs.get("src"):
            self.inline_scripts += 1
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.fields.append((tag, attrs))


def page_structure(response) -> PageStructure:
    parser = PageStructure()
    parser.feed(response.content.decode())
    return parser


def assert_accessible(response):
    """One h1, a label for every field, each error referenced by its field, no inline script."""
    page = page_structure(response)
    assert page.h1_count == 1
    assert page.inline_scripts == 0
    for tag, attrs in page.fields:
        assert attrs.get("id") in page.label_for, f"{tag} {attrs.get('name')} has no label"
        for described_by in (attrs.get("aria-describedby") or "").split():
            assert described_by in page.ids, f"{attrs.get('name')} points at a missing id"
        if attrs.get("aria-invalid") == "true":
            assert f"{attrs['id']}_error" in (attrs.get("aria-describedby") or "")
    return page
