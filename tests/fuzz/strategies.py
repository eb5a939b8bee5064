"""Hypothesis strategies for what a hostile or careless person types, picks and uploads."""

import os
import re
import string

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

from tests.fuzz.forms import Field

# Markup that must never come back unescaped; checked on every response (checks.py).
MARKUP = [
    "<script>alert('fuzz')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
]
PAYLOADS = [
    *MARKUP,
    "'; DROP TABLE controllers_controller; --",
    "' OR '1'='1",
    "%s%s%s%n",
    "{0}{1}{user.password}",
    "{{ 7|add:7 }}{% debug %}",
    "${7*7}",
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e",  # RTL and LTR marks
    "\ufeffBOM",
    "\x00",
    "name\x00with NUL",
    "../../../../etc/passwd",
    "line\r\nSet-Cookie: x=1",
    "\U0001d54f" * 5,
    "Zalgo\u0336\u0337\u0338",
    " ",
    "null",
    "NaN",
    "-1",
]

# Text without lone surrogates: they cannot be encoded in a request at all.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
long_text = st.builds(
    lambda n, c: c * n, st.integers(10_000, 12_000), st.sampled_from(["A", "é", "\u202e", "<"])
)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(PAYLOADS),
    st.builds(lambda a, p, b: a + p + b, any_text, st.sampled_from(PAYLOADS), any_text),
    long_text,
)

_DATES = [
    "2026-01-31T10:00",
    "2026-01-31",
    "2026-02-30T10:00",  # no such day
    "2026-13-01T10:00",
    "2026-01-31T25:61",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "10000-01-01T00:00",
    "-0001-01-01T00:00",
    "1970-01-01T00:00",
    "31/12/2026",
    "12/31/2026 10:00",
    "2026-01-31 10:00:00+99:00",
    "tomorrow",
    "0",
    "",
]
hostile_date = st.one_of(
    st.sampled_from(_DATES),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.dates().map(lambda d: d.isoformat()),
    st.times().map(lambda t: t.isoformat()),
    hostile_text,
)
hostile_number = st.one_of(
    st.integers(-(2**80), 2**80).map(str),
    st.sampled_from(["1e400", "NaN", "inf", "-0", "0x10", "\u0661\u0662", " 7 ", "9" * 40, ""]),
    hostile_text,
)
hostile_email = st.one_of(st.emails().map(str), hostile_text)

_FILE_NAMES = st.one_of(
    st.sampled_from(
        [
            "../../../etc/passwd",
            "..\\..\\boot.ini",
            "report.pdf",
            "photo.png.exe",
            "name\x00.pdf",
            "tab\tand\nnewline.txt",
            "\u202etxt.exe",
            "a" * 300 + ".pdf",
            ".htaccess",
            "CON.txt",
        ]
    ),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
).filter(
    # Names Django's own file object refuses to hold ("", "/", "a/", ".."): the test client
    # cannot post them, and a browser's empty file name arrives as no file at all.
    lambda name: os.path.basename(name) not in {"", ".", ".."}
)


def hostile_files(max_bytes: int):
    """Random bytes, content that contradicts the extension, empty files, oversized ones."""
    content = st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"",
                b"%PDF-1.7\n%fake",  # a PDF header under any name
                b"MZ\x90\x00\x03",  # a Windows executable
                b"\x89PNG\r\n\x1a\nnot really",
                b"PK\x03\x04broken zip",
                b"<script>alert('fuzz')</script>",
            ]
        ),
        st.just(b"%PDF-1.7\n" + b"x" * max_bytes),  # one over the limit, with a good header
    )
    return st.builds(
        lambda name, data, ctype: SimpleUploadedFile(name, data, content_type=ctype),
        _FILE_NAMES,
        content,
        st.sampled_from(["application/pdf", "text/plain", "application/x-msdownload", ""]),
    )


_DATE_NAME = re.compile(r"(_at|_on|date|_from|_to|_until)(_[01])?$|^on$")


def value_for(field, *, max_file_bytes: int):
    """A strategy of hostile values for one field of a rendered form."""
    if field.kind == "file":
        return hostile_files(max_file_bytes)
    if field.kind in ("date", "datetime-local", "time") or _DATE_NAME.search(field.name):
        return hostile_date
    if field.kind == "number" or (
        field.value and all(c in string.digits for c in field.value) and field.kind == "hidden"
    ):
        return hostile_number
    if field.kind == "email":
        return hostile_email
    if field.kind == "select" or field.kind in ("checkbox", "radio"):
        choice = st.sampled_from(field.options) if field.options else hostile_text
        if field.multiple or field.kind == "checkbox":
            return st.one_of(st.lists(choice, max_size=4), st.lists(hostile_text, max_size=2))
        return st.one_of(choice, hostile_text, hostile_number)
    return hostile_text


KEEP = object()


def _with_new_rows(form):
    """The form's fields plus one new row of every inline ("Add another"), and the baseline
    with each inline's TOTAL_FORMS counting that row."""
    baseline = form.baseline()
    fields = list(form.fields)
    for template in form.row_templates:
        prefix = template.name.split("-__prefix__-")[0]
        index = baseline.get(f"{prefix}-TOTAL_FORMS", "0")
        name = template.name.replace("__prefix__", index)
        fields.append(Field(**{**template.__dict__, "name": name}))
        if template.kind not in ("select", "checkbox", "radio", "file"):
            baseline[name] = template.value
    for prefix in {t.name.split("-__prefix__-")[0] for t in form.row_templates}:
        total = f"{prefix}-TOTAL_FORMS"
        if baseline.get(total, "").isdigit():
            baseline[total] = str(int(baseline[total]) + 1)
    return fields, baseline


def form_data(form, *, max_file_bytes: int = 1024):
    """The browser's baseline data with some fields replaced by hostile values, some dropped,
    and sometimes a field the form does not have. Admin forms get a new inline row too."""
    fields, baseline = _with_new_rows(form)
    names = list(dict.fromkeys(f.name for f in fields))
    by_name = {f.name: f for f in fields}
    per_field = {
        name: st.one_of(
            st.just(KEEP),
            st.just(None),  # the field is left out of the request
            value_for(by_name[name], max_file_bytes=max_file_bytes),
        )
        for name in names
    }

    def assemble(chosen, extra):
        data = {}
        for name, value in chosen.items():
            if value is KEEP:
                if name in baseline:
                    data[name] = baseline[name]
            elif value is not None:
                data[name] = value
        for name, value in extra.items():
            data.setdefault(name, value)
        return data

    extra = st.dictionaries(
        st.sampled_from(["id", "pk", "controller", "is_staff", "role"]), hostile_text, max_size=2
    )
    return st.builds(assemble, st.fixed_dictionaries(per_field), extra)
