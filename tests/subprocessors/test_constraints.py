"""Integrity lives in the database: writes that bypass forms are refused too."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import (
    ControllerFactory,
    MembershipFactory,
    ProcessingActivityFactory,
    SubprocessorChangeFactory,
    SubprocessorFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_retired_before_engaged():
    refused(
        SubprocessorFactory,
        status="retired",
        engaged_on=date(2026, 5, 1),
        retired_on=date(2026, 4, 1),
    )


def test_active_subprocessor_needs_engagement_date():
    refused(SubprocessorFactory, status="active", engaged_on=None)


def test_duplicate_subprocessor_name():
    SubprocessorFactory(name="Stripe")
    refused(SubprocessorFactory, name="Stripe")


def test_change_effective_before_announced():
    now = timezone.now()
    refused(SubprocessorChangeFactory, announced_at=now, effective_at=now - timedelta(days=1))


def test_replacement_names_what_it_replaces():
    refused(SubprocessorChangeFactory, kind="replace", replaces=None)


def test_sccs_need_module():
    refused(TransferFactory, mechanism="sccs", scc_module="")


def test_module_only_with_sccs():
    refused(TransferFactory, mechanism="adequacy", scc_module="2")


def test_auditor_membership_needs_expiry():
    refused(MembershipFactory, role="auditor", expires_at=None)


def test_terminated_controller_needs_date():
    refused(ControllerFactory, status="terminated", terminated_on=None)


def test_approved_activity_needs_approver():
    refused(ProcessingActivityFactory, status="approved")
