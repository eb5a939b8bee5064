"""Before a customer makes its record's PDF, the page names what the record still lacks."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_record_pdf_page_names_the_records_gaps(client, owner, controller_a):
    controller_a.dpo_name = ""
    controller_a.dpo_email = ""
    controller_a.save()
    client.force_login(owner)
    page = client.get(reverse("portal:record_pdf", args=[controller_a.pk])).content.decode()
    assert "not ready to file" in page
    assert "Alpha Apps Ltd names no data protection officer." in page


def test_a_complete_record_shows_no_warning(client, owner, controller_a):
    client.force_login(owner)
    page = client.get(reverse("portal:record_pdf", args=[controller_a.pk])).content.decode()
    assert "Alpha Apps Ltd names no data protection officer." not in page
