"""The OpenAPI document and the interactive docs, served by the app under a strict CSP."""

import re

from django.contrib.staticfiles import finders

from apps.api.problems import PROBLEM_CONTENT_TYPE


def test_the_document_is_openapi_3_1_and_names_the_bearer_token(anonymous_api, db):
    response = anonymous_api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()


def test_every_error_is_documented_as_a_problem(anonymous_api, db):
    document = anonymous_api.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == [PROBLEM_CONTENT_TYPE], (path, method)


def test_the_docs_page_runs_no_inline_script_and_loads_only_our_files(anonymous_api, db):
    response = anonymous_api.get("/api/v1/docs")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script_src.split() == ["'self'"]
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    for attributes, body in scripts:
        # Either a file of ours, or the settings as data (never executed).
        assert 'src="/static/' in attributes or 'type="application/json"' in attributes
        if "src=" in attributes:
            assert not body.strip()
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert "ninja/swagger-ui-bundle.js" in assets and "ninja/swagger-ui-init.js" in assets
    for asset in assets:
        assert finders.find(asset), asset
    assert "https://" not in html and "http://" not in html
    # The UI is told not to fetch the public validator's badge.
    assert '"validatorUrl": null' in html
