import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_policy_without_inline_scripts(officer_client):
    response = officer_client.get(reverse("admin:index"))
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "url_name",
    ["admin:index", "admin:controllers_controller_changelist", "admin:controllers_controller_add"],
)
def test_admin_pages_have_no_inline_script(officer_client, url_name):
    page = officer_client.get(reverse(url_name)).content.decode()
    inline = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", page)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert inline == []
