"""No table the product writes hands a spreadsheet a formula.

Text that people typed (a name, a reason, a data-subject identifier) starting with "=", "+",
"-", "@", a tab or a carriage return is run by Excel or LibreOffice as a formula when the file is
opened (`=HYPERLINK(...)` sends the reader somewhere, DDE payloads run commands). Each payload is
written into the text fields of every exported table, then every export the product offers is
read back: the admin's import-export formats, its streamed CSVs, the trail's CSV, the portal's
record CSVs and the data-export ZIP. No cell may start with one of those characters, and each
payload must come back as text ("'" in front), so that the test cannot pass by exporting nothing.
"""

import csv
import io
import zipfile
from html.parser import HTMLParser

import openpyxl
import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db.models import CharField, TextField
from django.urls import reverse
from django.utils import timezone

from apps.controllers.models import Membership
from apps.core.admin import RegisterTableAdminMixin
from apps.offboarding.exports import data_export_zip
from apps.processors.models import ProcessingActivity
from tests.core.admin_objects import admin_url
from tests.core.test_admin_queries import FACTORIES
from tests.factories import (
    ControllerFactory,
    DsarTicketFactory,
    MembershipFactory,
    ProcessingActivityFactory,
    SecurityMeasureFactory,
    StaffFactory,
    SubprocessorFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("x")', "+1", "-1", "@x", "\tx", "\rx"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EXPORT_ADMINS = [
    model
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, RegisterTableAdminMixin)
]
# The formats a spreadsheet opens; JSON is read by programs and carries the text as it is.
SPREADSHEET_FORMATS = ["CSV", "TSV", "XLSX", "HTML"]


def text_fields(model) -> list:
    """The model's free-text columns that its export writes."""
    resource = admin.site._registry[model].get_export_resource_classes(None)[0]()
    exported = {f.attribute for f in resource.get_export_fields() if f.attribute}
    return [
        f
        for f in model._meta.concrete_fields
        if f.name in exported and isinstance(f, CharField | TextField) and not f.choices
    ]


def payload_rows(model) -> None:
    """One row per payload, every exported text field starting with it."""
    fields = text_fields(model)
    assert fields, f"{model._meta.label}: no text field to write a payload into"
    for payload in PAYLOADS:
        FACTORIES[model](
            **{f.name: (f"{payload} {f.name}")[: f.max_length or None] for f in fields}
        )


def assert_formula_safe(cells: list[str], where: str) -> None:
    unsafe = [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert not unsafe, f"{where}: {unsafe[:5]}"
    for payload in PAYLOADS:
        # A workbook keeps a carriage return as a line feed (XML normalises line ends).
        written = ("'" + payload, "'" + payload.replace("\r", "\n"))
        assert any(cell.startswith(written) for cell in cells), f"{where}: {payload!r}"


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data


def cells_of(content: bytes, fmt: str) -> list[str]:
    if fmt in ("CSV", "TSV"):
        reader = csv.reader(
            io.StringIO(content.decode("utf-8-sig"), newline=""),
            delimiter="," if fmt == "CSV" else "\t",
        )
        return [cell for row in reader for cell in row]
    if fmt == "XLSX":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
        formulas = [cell.value for cell in cells if cell.data_type == "f"]
        assert not formulas, f"formula cells in the workbook: {formulas[:5]}"
        return [str(cell.value) for cell in cells]
    parser = _Cells()
    parser.feed(content.decode())
    return parser.cells


def admin_export(client, model, fmt: str) -> bytes:
    """The admin's Export page, every column chosen, in the given format."""
    url = admin_url(model, "export")
    form = client.get(url).context["form"]
    formats = admin.site._registry[model].get_export_formats()
    data = {"format": next(i for i, f in enumerate(formats) if f.__name__ == fmt), "resource": 0}
    data |= {
        name: "on"
        for name, field in form.fields.items()
        if getattr(field, "is_selectable_field", False)
    }
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.mark.parametrize("model", EXPORT_ADMINS, ids=lambda m: m._meta.label)
def test_the_admin_exports_write_formulas_as_text(model, officer_client):
    payload_rows(model)
    for fmt in SPREADSHEET_FORMATS:
        assert_formula_safe(cells_of(admin_export(officer_client, model, fmt), fmt), fmt)
    response = officer_client.get(admin_url(model, "export_csv"))
    assert response.status_code == 200
    streamed = b"".join(response.streaming_content)
    assert_formula_safe(cells_of(streamed, "CSV"), "streamed CSV")


def test_every_export_format_the_admin_offers_is_checked():
    offered = {
        f.__name__
        for model in EXPORT_ADMINS
        for f in admin.site._registry[model].get_export_formats()
    }
    assert offered == {*SPREADSHEET_FORMATS, "JSON"}


def test_the_trail_export_writes_formulas_as_text(client, staff_auditor):
    for payload in PAYLOADS:
        ControllerFactory(legal_name=f"{payload} Ltd")
    # The trail chains its entries after each commit; a test's changes never commit, so the
    # command that catches up (cron's) chains them.
    call_command("seal_audit_trail", stdout=io.StringIO())
    client.force_login(staff_auditor)
    response = client.get(
        reverse("admin:trail_trailentry_export"), {"model": "controllers.controller"}
    )
    assert response.status_code == 200
    cells = cells_of(b"".join(response.streaming_content), "CSV")
    assert_formula_safe(cells, "trail CSV")


@pytest.fixture
def customer_record():
    """A controller whose record (activities, subprocessors, transfers, measures), tickets and
    members carry every payload; and a member of it."""
    controller = ControllerFactory()
    approver = StaffFactory()
    for payload in PAYLOADS:
        subprocessor = SubprocessorFactory(name=f"{payload} host", service=f"{payload} service")
        TransferFactory(subprocessor=subprocessor, document_reference=f"{payload} SCCs")
        activity = ProcessingActivityFactory(
            name=f"{payload} activity",
            purpose=f"{payload} purpose",
            status=ProcessingActivity.Status.APPROVED,
            approved_by=approver,
            approved_at=timezone.now(),
            covers_all_controllers=True,
        )
        activity.subprocessors.add(subprocessor)
        activity.security_measures.add(SecurityMeasureFactory(name=f"{payload} measure"))
        DsarTicketFactory(controller=controller, data_subject_identifier=f"{payload}@end.user")
        MembershipFactory(controller=controller, user__full_name=f"{payload} Person")
    member = MembershipFactory(controller=controller, role=Membership.Role.MEMBER).user
    return controller, member


@pytest.mark.parametrize("table", ["activities", "subprocessors", "transfers", "security_measures"])
def test_the_portal_record_csvs_write_formulas_as_text(client, customer_record, table):
    controller, member = customer_record
    client.force_login(member)
    url = reverse(f"portal:record_{table}_csv", kwargs={"controller_id": controller.pk})
    response = client.get(url)
    assert response.status_code == 200
    assert_formula_safe(cells_of(b"".join(response.streaming_content), "CSV"), table)


def test_the_data_export_zip_writes_formulas_as_text(customer_record):
    controller, _ = customer_record
    spool = io.BytesIO()
    data_export_zip(controller, into=spool)
    with zipfile.ZipFile(spool) as archive:
        csvs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".csv")}
    assert {"memberships.csv", "dsar_tickets.csv"} <= set(csvs)
    for name, content in csvs.items():
        cells = cells_of(content, "CSV")
        assert not [c for c in cells if c.startswith(FORMULA_START)], name
    for name in ("memberships.csv", "dsar_tickets.csv", "record_of_processing/activities.csv"):
        assert_formula_safe(cells_of(csvs[name], "CSV"), name)
