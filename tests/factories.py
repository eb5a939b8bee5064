from datetime import date, timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import AuditAccessLog, AuditArea, AuditGrant
from apps.controllers.models import Controller, Membership
from apps.data_categories.models import DataCategory, DataSubjectCategory
from apps.processors.models import ProcessingActivity, Processor, SecurityMeasure
from apps.subprocessors.models import Objection, Subprocessor, SubprocessorChange, Transfer
from apps.trail.services import history_rows_scrub, trail_seal_pending


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password("a-long-test-password")


class StaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ControllerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Controller

    legal_name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    address = "1 Test Street, Testville"
    country = "IE"
    contact_name = factory.Faker("name")
    contact_email = factory.Sequence(lambda n: f"privacy{n}@customer.test")
    dpo_email = factory.Sequence(lambda n: f"dpo{n}@customer.test")
    dpa_version = "2026-01"
    dpa_accepted_on = date(2026, 1, 1)


class NonWorkingDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "controllers.NonWorkingDay"

    day = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    name = "Office closure"
    country = ""


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    controller = factory.SubFactory(ControllerFactory)
    role = Membership.Role.MEMBER


class DataCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataCategory

    name = factory.Sequence(lambda n: f"Data category {n}")


class DataSubjectCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSubjectCategory

    name = factory.Sequence(lambda n: f"Subject category {n}")


class ProcessorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Processor

    name = factory.Sequence(lambda n: f"Processor {n} LLC")
    address = "1 Processor Way"
    country = "US"
    contact_name = "Privacy team"
    contact_email = "privacy@processor.test"


class SecurityMeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SecurityMeasure

    name = factory.Sequence(lambda n: f"Measure {n}")
    category = SecurityMeasure.Category.ENCRYPTION
    description = "Encrypted with AES-256."
    owner = factory.SubFactory(StaffFactory)


class SubprocessorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subprocessor
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Subprocessor {n}")
    legal_entity = factory.LazyAttribute(lambda o: f"{o.name}, Inc.")
    service = "Hosting"
    processing_locations = ["US"]
    status = Subprocessor.Status.ACTIVE
    engaged_on = date(2025, 1, 1)

    @factory.post_generation
    def data_categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.data_categories.set(extracted)


class TransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transfer

    subprocessor = factory.SubFactory(SubprocessorFactory)
    destination_country = "US"
    mechanism = Transfer.Mechanism.SCCS
    scc_module = Transfer.SccModule.P2P


class ProcessingActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcessingActivity
        skip_postgeneration_save = True

    processor = factory.SubFactory(ProcessorFactory)
    name = factory.Sequence(lambda n: f"Activity {n}")
    description = "What happens"
    purpose = "Providing the service"
    category = ProcessingActivity.Category.STORAGE
    retention = "While the account is active"
    instruction = "DPA clause 2"

    @factory.post_generation
    def data_categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.data_categories.set(extracted)

    @factory.post_generation
    def subprocessors(self, create, extracted, **kwargs):
        if create and extracted:
            self.subprocessors.set(extracted)

    @factory.post_generation
    def controllers(self, create, extracted, **kwargs):
        if create and extracted:
            self.controllers.set(extracted)


class SubprocessorChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubprocessorChange

    kind = SubprocessorChange.Kind.ADD
    subprocessor = factory.SubFactory(
        SubprocessorFactory, status=Subprocessor.Status.PROPOSED, engaged_on=None
    )
    description = "We add a new subprocessor."
    announced_at = factory.LazyFunction(timezone.now)
    effective_at = factory.LazyAttribute(lambda o: o.announced_at + timezone.timedelta(days=31))


class ObjectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objection

    controller = factory.SubFactory(ControllerFactory)
    change = factory.SubFactory(SubprocessorChangeFactory)
    reason = "We do not accept data in that country."


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.Notification"

    kind = "test"
    recipient = factory.Sequence(lambda n: f"recipient{n}@customer.test")
    subject = "A message"
    body = "Its text"


class SecurityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.SecurityEvent"

    kind = "login_failed"
    user = factory.SubFactory(UserFactory)
    username = factory.LazyAttribute(lambda o: o.user.email)
    ip_address = "192.0.2.1"


class DsarTicketFactory(factory.django.DjangoModelFactory):
    """A ticket made directly (not through the submit service), with its dates derived."""

    class Meta:
        model = "dsar.DsarTicket"

    reference = factory.Sequence(lambda n: f"DSAR-2000-{n:04d}")
    controller = factory.SubFactory(ControllerFactory)
    request_type = "access"
    data_subject_identifier = factory.Sequence(lambda n: f"user-{n}")
    received_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=2))
    submitted_at = factory.LazyFunction(timezone.now)
    response_target_at = factory.LazyAttribute(
        lambda o: o.submitted_at + timezone.timedelta(days=14)
    )
    assignee = factory.SubFactory(StaffFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        ticket = model_class(*args, **kwargs)
        ticket.compute_due_dates()
        ticket.save()
        return ticket


class BreachIncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "breaches.BreachIncident"
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"INC-1999-{n:04d}")
    title = "Exposed storage bucket"
    description = "A storage bucket was readable without authentication."
    occurred_from = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=2))
    became_aware_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=2))
    nature_confidentiality = True
    approx_data_subjects = 1200
    approx_records = 5000
    contact_point = "Security team, security@calljmp.example"
    likely_consequences = "Phishing against the exposed addresses."
    measures_taken = "Bucket made private; access keys rotated."
    risk_level = "medium"
    owner = factory.SubFactory(StaffFactory)

    @factory.post_generation
    def affected_controllers(self, create, extracted, **kwargs):
        if create and extracted:
            self.affected_controllers.set(extracted)


class DsarTimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dsar.DsarTimelineEntry"

    ticket = factory.SubFactory(DsarTicketFactory)
    kind = "reply"
    body = factory.Sequence(lambda n: f"Reply {n}")
    visible_to_customer = True


class BreachNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "breaches.BreachNotification"

    incident = factory.SubFactory(BreachIncidentFactory)
    controller = factory.SubFactory(ControllerFactory)


class TrailEntryFactory(factory.django.DjangoModelFactory):
    """Entries are only ever written by the trail itself: make a change and take its entry."""

    class Meta:
        model = "trail.TrailEntry"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        controller = ControllerFactory()
        trail_seal_pending()  # what the commit does in a request; tests never commit
        return model_class.objects.get(
            object_model="controllers.controller", object_id=controller.pk
        )


class TrailScrubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "trail.TrailScrub"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        controller = ControllerFactory()
        history_rows_scrub(
            rows=Controller.history.filter(id=controller.pk),
            values={"contact_name": ""},
            by=None,
            reason="erasure request",
        )
        return model_class.objects.latest("id")


class DataExportFactory(factory.django.DjangoModelFactory):
    """An export as the service leaves it: pending, or READY with a small file when ready=True."""

    class Meta:
        model = "offboarding.DataExport"

    controller = factory.SubFactory(ControllerFactory)
    requested_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, ready=False, **kwargs):
        from django.core.files.base import ContentFile

        export = model_class(*args, **kwargs)
        if ready:
            now = timezone.now()
            export.status = "ready"
            export.ready_at = kwargs.get("ready_at") or now
            export.expires_at = kwargs.get("expires_at") or now + timezone.timedelta(days=7)
            export.file.save("export.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=False)
            export.size = export.file.size
        export.save()
        return export


class DeletionRequestFactory(factory.django.DjangoModelFactory):
    """A request in its cooling-off period (made directly, not through the service)."""

    class Meta:
        model = "offboarding.DeletionRequest"

    controller = factory.SubFactory(ControllerFactory)
    requested_by = factory.SubFactory(UserFactory)
    status = "cooling_off"
    cooling_off_ends_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=14))


class AuditGrantFactory(factory.django.DjangoModelFactory):
    """An active grant over every area, terms already accepted (pass terms_accepted_at=None)."""

    class Meta:
        model = AuditGrant

    controller = factory.SubFactory(ControllerFactory)
    auditor = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    membership = factory.SubFactory(
        MembershipFactory,
        user=factory.SelfAttribute("..auditor"),
        controller=factory.SelfAttribute("..controller"),
        role=Membership.Role.AUDITOR,
        expires_at=factory.SelfAttribute("..expires_at"),
    )
    areas = factory.LazyFunction(lambda: list(AuditArea.values))
    terms_version = "1"
    terms = "Keep what you see confidential."
    created_by = factory.SubFactory(StaffFactory)
    terms_accepted_at = factory.LazyFunction(timezone.now)


class AuditAccessLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditAccessLog

    grant = factory.SubFactory(AuditGrantFactory)
    controller = factory.SelfAttribute("grant.controller")
    path = "/portal/"
    url_name = "dashboard"
    method = "GET"
    ip = "192.0.2.10"


class JobFactory(factory.django.DjangoModelFactory):
    """A finished job (a record PDF) as the task wrapper leaves it; with_file=True keeps a file."""

    class Meta:
        model = "jobs.Job"

    kind = "processors.register_pdf"
    title = factory.Sequence(lambda n: f"Record of processing {n} (PDF)")
    started_by = factory.SubFactory(StaffFactory)
    task_path = "apps.processors.tasks.make_register_pdf"
    arguments = factory.LazyFunction(lambda: {"controller_id": None})
    state = "done"
    progress_done = 2
    progress_total = 2
    summary = "The record of processing is ready."
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, with_file=False, **kwargs):
        from django.core.files.base import ContentFile

        job = model_class(*args, **kwargs)
        if with_file:
            job.result_file.save("record.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
            job.result_filename = "record.pdf"
            job.result_expires_at = timezone.now() + timedelta(days=7)
        job.save()
        return job


class ReferenceCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "core.ReferenceCounter"

    prefix = "DSAR"
    year = factory.Sequence(lambda n: 2000 + n)
    last_number = 7


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.ApiToken"

    name = factory.Sequence(lambda n: f"Token {n}")
    controller = factory.SubFactory(ControllerFactory)
    user = factory.SubFactory(UserFactory)
    scope = "read"
    prefix = factory.Sequence(lambda n: f"{n:012x}")
    secret_hash = "0" * 64
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.WebhookEndpoint"

    controller = factory.SubFactory(ControllerFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.customer.test/records")
    events = factory.LazyFunction(lambda: ["request.status_changed"])
    secret = "whsec_dGVzdHMtb25seS13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"


class RetentionRunFactory(factory.django.DjangoModelFactory):
    """A finished run of the retention schedule, as `retention_apply` leaves it."""

    class Meta:
        model = "retention.RetentionRun"

    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + timezone.timedelta(seconds=3))
    status = "done"
    periods = factory.LazyFunction(lambda: {"security_events": 365})
    counts = factory.LazyFunction(lambda: {"security_events": 2})
