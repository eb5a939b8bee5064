"""Every portal page declares its audit area, so a page added later is never open by accident."""

from apps.audit.models import AuditArea
from apps.portal.areas import ANY_GRANT, NOT_FOR_AUDITORS, PAGE_AREAS, PUBLIC, TERMS
from tests.portal.test_isolation import PATTERNS


def test_every_portal_url_declares_its_audit_area():
    missing = sorted({name for name, _ in PATTERNS} - PAGE_AREAS.keys())
    assert not missing, (
        f"portal URLs without an audit area: {missing}. Add each to PAGE_AREAS in "
        "apps/portal/areas.py (an AuditArea, ANY_GRANT, NOT_FOR_AUDITORS or PUBLIC)."
    )


def test_no_stale_names_in_the_area_table():
    stale = sorted(PAGE_AREAS.keys() - {name for name, _ in PATTERNS})
    assert not stale, f"PAGE_AREAS names URLs that do not exist: {stale}"


def test_every_declared_area_is_known():
    known = set(AuditArea.values) | {ANY_GRANT, NOT_FOR_AUDITORS, PUBLIC, TERMS}
    assert set(PAGE_AREAS.values()) <= known
