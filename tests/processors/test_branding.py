"""The processor's name and logo head the admin and the portal: set on the processor's page,
validated, served without opening other uploads, and read from the cache (no extra query)."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from apps.controllers.models import Membership
from apps.processors.logo import logo_storage
from apps.processors.models import Processor
from tests.conftest import SecondFactorClient
from tests.factories import MembershipFactory, ProcessorFactory

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def image_bytes(kind="PNG", size=(64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 87, 164)).save(buffer, kind)
    return buffer.getvalue()


def processor_form(processor, **overrides):
    data = {
        "name": processor.name,
        "address": processor.address,
        "country": processor.country,
        "contact_name": processor.contact_name,
        "contact_email": processor.contact_email,
        "dpo_name": "",
        "dpo_email": "",
        "representative": "",
    }
    data.update(overrides)
    return data


def upload_logo(client, processor, content, name):
    url = reverse("admin:processors_processor_change", args=[processor.pk])
    logo = SimpleUploadedFile(name, content)
    return client.post(url, processor_form(processor, logo=logo))


def logo_src(html: str) -> str:
    match = re.search(r'<img class="brand-logo" src="([^"]+)" alt="([^"]+)"', html)
    assert match, "no logo in the header"
    return match.group(1), match.group(2)


@pytest.fixture
def processor(db):
    return ProcessorFactory(name="Calljmp LLC")


@pytest.fixture
def staff_client(client, officer):
    client.force_login(officer)
    return client


def test_an_uploaded_logo_heads_the_admin_and_the_portal_with_the_processor_name(
    staff_client, processor
):
    response = upload_logo(staff_client, processor, image_bytes(), "logo.png")
    assert response.status_code == 302
    processor.refresh_from_db()
    assert processor.logo.name.startswith("processor-logos/")
    assert "logo" not in processor.logo.name.removeprefix("processor-logos/")

    admin_page = staff_client.get(reverse("admin:controllers_controller_changelist"))
    src, alt = logo_src(admin_page.content.decode())
    assert alt == "Calljmp LLC"
    assert re.search(r"<title>[^<]* \| Calljmp LLC</title>", admin_page.content.decode())

    client = SecondFactorClient()
    client.force_login(MembershipFactory(role=Membership.Role.ADMIN).user)
    portal_page = client.get(reverse("portal:dashboard")).content.decode()
    assert logo_src(portal_page) == (src, "Calljmp LLC")
    assert "<title>Overview · Calljmp LLC</title>" in portal_page

    logo = client.get(src)
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content) == image_bytes()
    assert "sandbox" in logo["Content-Security-Policy"]

    change = staff_client.get(reverse("admin:processors_processor_change", args=[processor.pk]))
    assert f'href="{src}"' in change.content.decode()


def test_the_logo_is_served_to_the_sign_in_pages_and_only_the_current_one(staff_client, processor):
    upload_logo(staff_client, processor, image_bytes(), "first.png")
    processor.refresh_from_db()
    first_name = processor.logo.name
    anonymous = SecondFactorClient()
    first_src, _ = logo_src(anonymous.get(reverse("portal:login")).content.decode())
    upload_logo(staff_client, processor, image_bytes("JPEG"), "second.jpg")
    processor.refresh_from_db()
    assert logo_storage().exists(first_name)  # kept, but no longer reachable
    second_src, _ = logo_src(anonymous.get(reverse("admin:login")).content.decode())
    assert second_src != first_src
    assert anonymous.get(second_src)["Content-Type"] == "image/jpeg"
    assert anonymous.get(first_src).status_code == 404
    assert anonymous.get(reverse("processor_logo", kwargs={"version": "0" * 16})).status_code == 404
    stored = first_name.removeprefix("processor-logos/")
    assert anonymous.get(reverse("processor_logo", kwargs={"version": stored})).status_code == 404


def test_without_a_logo_the_header_names_the_processor_in_text(staff_client, processor):
    html = staff_client.get(reverse("admin:controllers_controller_changelist")).content.decode()
    assert 'class="brand-logo"' not in html
    assert re.search(r'class="brand">Calljmp LLC <span class="brand-product">', html)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (SVG, "logo.svg", "PNG, JPEG or WebP"),
        (b"not an image at all", "logo.png", "PNG, JPEG or WebP"),
        (image_bytes("PNG"), "logo.jpg", "name it with .png"),
        (image_bytes("GIF"), "logo.gif", "PNG, JPEG or WebP"),
        (image_bytes(size=(2000, 40)), "logo.png", "2000×40 pixels"),
        (image_bytes(size=(8, 8)), "logo.png", "8×8 pixels"),
        (b"\x89PNG" + b"\0" * (300 * 1024), "logo.png", "at most 256 KB"),
    ],
)
def test_a_logo_that_is_not_a_small_png_jpeg_or_webp_is_refused(
    staff_client, processor, content, name, message
):
    response = upload_logo(staff_client, processor, content, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    processor.refresh_from_db()
    assert not processor.logo
    assert processor.history.count() == 1


def test_renaming_the_processor_changes_the_header_without_a_query_more(staff_client, processor):
    url = reverse("admin:processors_processor_change", args=[processor.pk])
    staff_client.post(url, processor_form(processor, name="Calljmp Europe BV"))
    assert Processor.objects.get().name == "Calljmp Europe BV"
    page = reverse("admin:controllers_controller_changelist")
    staff_client.get(page)
    with CaptureQueriesContext(connection) as captured:
        html = staff_client.get(page).content.decode()
    assert "Calljmp Europe BV" in html
    assert not any("processors_processor" in q["sql"] for q in captured.captured_queries)
