"""Load the demo processor, Calljmp LLC, its register and demo logins.

Idempotent: a second run finds every row as it should be and writes nothing, so it adds neither
rows nor history rows.
"""

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.roles import AUDITOR, PRIVACY_OFFICER, SECURITY_LEAD, SUPPORT_AGENT
from apps.accounts.two_factor import base32_secret
from apps.audit.models import DEFAULT_AUDIT_TERMS, AuditArea, AuditGrant
from apps.breaches.models import BreachIncident
from apps.breaches.services import (
    breach_controllers_confirm,
    breach_incident_create,
    breach_incident_transition,
    breach_notify_controllers,
    breach_update_add,
    breach_update_send,
)
from apps.controllers.models import Controller, Membership
from apps.core.history import history_save, history_stamp
from apps.data_categories.models import DataCategory, DataSubjectCategory
from apps.dsar.models import DsarTicket
from apps.dsar.services import (
    dsar_attachment_add,
    dsar_reply_add,
    dsar_ticket_assign,
    dsar_ticket_submit,
    dsar_ticket_transition,
)
from apps.notifications.delivery import notifications_deliver
from apps.notifications.models import Notification
from apps.processors.models import ProcessingActivity, Processor, SecurityMeasure
from apps.subprocessors.models import Subprocessor, Transfer

DEMO_PASSWORD = "calljmp-demo-2026"
EXTERNAL_AUDITOR = "auditor@external-audit.example"
DEMO_DEVICE = "Demo authenticator"


def demo_totp_key(email: str) -> str:
    return hashlib.sha1(f"demo-totp:{email}".encode()).hexdigest()


STAFF = [
    ("privacy@calljmp.example", "Pia Officer", PRIVACY_OFFICER),
    ("support@calljmp.example", "Sam Support", SUPPORT_AGENT),
    ("security@calljmp.example", "Lee Security", SECURITY_LEAD),
    ("auditor@calljmp.example", "Ada Auditor", AUDITOR),
]

DATA_CATEGORIES = {
    "Email addresses": "End users' email addresses, used to sign in and to send messages.",
    "IP addresses": "Network addresses of end users' devices, seen when requests are routed.",
    "Authentication tokens": "Session and refresh tokens, password hashes and sign-in secrets.",
    "Uploaded files": "Files end users upload through the customer's app.",
    "App and user metadata": "Device, app version, user identifiers and records the app stores.",
}
RETENTION = "Kept while the customer's account is active; deleted within 30 days of termination."

SUBJECT_CATEGORY = (
    "End users of the customer's app",
    "People who use a mobile app built by a customer on Calljmp.",
)

MEASURES = [
    (
        "Encryption at rest",
        SecurityMeasure.Category.ENCRYPTION,
        "Databases and object storage are encrypted at rest with AES-256.",
        "D1 databases, R2 buckets",
    ),
    (
        "Encryption in transit",
        SecurityMeasure.Category.ENCRYPTION,
        "All traffic uses TLS 1.2 or later; plain HTTP is refused.",
        "Every public and internal endpoint",
    ),
    (
        "Role-based access and least privilege",
        SecurityMeasure.Category.ACCESS_CONTROL,
        "Staff reach customer data only through roles that grant the least access their work needs.",
        "Production consoles and support tools",
    ),
    (
        "Hosting and isolation on Cloudflare",
        SecurityMeasure.Category.HOSTING,
        "Each customer's project runs in its own isolated Workers and D1 namespace on Cloudflare.",
        "Customer projects",
    ),
]

SUBPROCESSORS = [
    {
        "name": "Cloudflare",
        "legal_entity": "Cloudflare, Inc.",
        "service": "Edge compute (Workers), D1 database and R2 object storage that run the service.",
        "website": "https://www.cloudflare.com",
        "certifications": "ISO 27001, SOC 2 Type II",
        "categories": list(DATA_CATEGORIES),
    },
    {
        "name": "Stripe",
        "legal_entity": "Stripe, Inc.",
        "service": "Billing of customers' subscriptions.",
        "website": "https://stripe.com",
        "certifications": "PCI DSS Level 1, SOC 2 Type II",
        "categories": ["Email addresses", "IP addresses"],
    },
    {
        "name": "Resend",
        "legal_entity": "Plus Five Five, Inc.",
        "service": "Delivery of transactional email (sign-in links, verification codes).",
        "website": "https://resend.com",
        "certifications": "SOC 2 Type II",
        "categories": ["Email addresses"],
    },
    {
        "name": "Product analytics provider",
        "legal_entity": "Analytics provider named on request",
        "service": "Aggregate usage analytics to operate and improve the service.",
        "website": "",
        "certifications": "",
        "categories": ["IP addresses", "App and user metadata"],
    },
]

ACTIVITIES = [
    (
        "Routing requests",
        ProcessingActivity.Category.ROUTING,
        "Receiving end users' API requests at the edge and passing them to the customer's backend.",
        "Providing the service: deliver the app's requests and responses.",
        ["IP addresses", "Authentication tokens", "App and user metadata"],
        ["Cloudflare"],
        ["Encryption in transit", "Hosting and isolation on Cloudflare"],
    ),
    (
        "Storing app data",
        ProcessingActivity.Category.STORAGE,
        "Storing the records and files the customer's app keeps about its end users.",
        "Providing the service: persist the app's data and files.",
        ["Email addresses", "Uploaded files", "App and user metadata"],
        ["Cloudflare"],
        ["Encryption at rest", "Hosting and isolation on Cloudflare"],
    ),
    (
        "Authenticating end users",
        ProcessingActivity.Category.AUTHENTICATION,
        "Signing end users in, issuing and checking tokens, sending sign-in emails.",
        "Providing the service: let only the right person reach an account.",
        ["Email addresses", "Authentication tokens", "IP addresses"],
        ["Cloudflare", "Resend"],
        ["Encryption at rest", "Encryption in transit", "Role-based access and least privilege"],
    ),
    (
        "Managing data",
        ProcessingActivity.Category.MANAGEMENT,
        "Organising, retrieving, exporting and erasing end users' data on the customer's instruction.",
        "Providing the service and helping the customer answer data-subject requests.",
        list(DATA_CATEGORIES),
        ["Cloudflare", "Product analytics provider"],
        ["Role-based access and least privilege", "Encryption at rest"],
    ),
]

CONTROLLERS: list[dict[str, Any]] = [
    {
        "legal_name": "Acme Fitness Ltd",
        "registration_number": "GB-12345678",
        "address": "1 Demo Street, London EC1A 1AA",
        "country": "GB",
        "contact_name": "Alex Acme",
        "contact_email": "privacy@acme-fitness.example",
        "dpo_name": "Dana Protect",
        "dpo_email": "dpo@acme-fitness.example",
        "dpa_accepted_on": date(2026, 1, 15),
        "users": [
            ("alex@acme-fitness.example", "Alex Acme", Membership.Role.ADMIN),
            ("morgan@acme-fitness.example", "Morgan Member", Membership.Role.MEMBER),
        ],
    },
    {
        "legal_name": "Birch Health GmbH",
        "registration_number": "HRB 123456",
        "address": "Musterstraße 1, 10115 Berlin",
        "country": "DE",
        "contact_name": "Bea Birch",
        "contact_email": "datenschutz@birch-health.example",
        "dpo_name": "Ben Datenschutz",
        "dpo_email": "dpo@birch-health.example",
        "dpa_accepted_on": date(2026, 3, 2),
        "users": [("bea@birch-health.example", "Bea Birch", Membership.Role.ADMIN)],
    },
    {
        "legal_name": "Cobalt Games SAS",
        "registration_number": "RCS Paris 123 456 789",
        "address": "1 rue de l'Exemple, 75002 Paris",
        "country": "FR",
        "contact_name": "Camille Cobalt",
        "contact_email": "rgpd@cobalt-games.example",
        "dpo_name": "",
        "dpo_email": "",
        "dpa_accepted_on": date(2026, 6, 20),
        "users": [("camille@cobalt-games.example", "Camille Cobalt", Membership.Role.ADMIN)],
    },
]


# Requests Acme Fitness passed on, each made once: its submission token finds it on a later run.
DSAR_ACCESS_TOKEN = "seed-demo-access-request"
DSAR_ERASURE_TOKEN = "seed-demo-erasure-request"
BREACH_TITLE = "Sign-in emails sent to the wrong recipients"


class Command(BaseCommand):
    help = "Load the demo processor Calljmp LLC, its register, three customers and demo logins."

    def handle(self, *args, **options):
        self.written = 0
        last_before = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        with transaction.atomic():
            self.seed()
        self.deliver_story_messages(after=last_before)
        self.stdout.write("")
        self.stdout.write(f"Demo password for every login below: {DEMO_PASSWORD}")
        self.stdout.write(
            "Staff (admin at /admin/) also type a code: add the secret to an authenticator app, "
            "or run `manage.py demo_totp` for the current codes."
        )
        for email, _, role in STAFF:
            device = TOTPDevice.objects.get(user__email=email, name=DEMO_DEVICE)
            self.stdout.write(f"  {role:<16} {email:<28} TOTP secret {base32_secret(device)}")
        self.stdout.write("Customer users (portal at /portal/):")
        for controller in CONTROLLERS:
            for email, _, role in controller["users"]:
                self.stdout.write(f"  {controller['legal_name']:<20} {role:<8} {email}")
        self.stdout.write(
            f"  {'Acme Fitness Ltd':<20} {'auditor':<8} {EXTERNAL_AUDITOR} (audit grant, 90 days)"
        )
        self.stdout.write(self.style.SUCCESS(f"seed_demo: {self.written} rows written or changed."))

    def deliver_story_messages(self, *, after: int) -> None:
        """The messages the demo's story queued (the requests' replies, the breach notices) are
        delivered here, to a mailbox held in memory: the outbox shows them as sent, and the worker
        `make demo` starts finds none left to print on the console below the logins."""
        ids = list(
            Notification.objects.filter(
                pk__gt=after, status=Notification.Status.PENDING
            ).values_list("pk", flat=True)
        )
        if not ids:
            return
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            notifications_deliver(ids=ids)

    def seed_requests(self, acme, agent):
        """Two data-subject requests from Acme, made and worked through the services so that
        their history, timelines and notices are what the real doors would write."""
        alex = User.objects.get(email="alex@acme-fitness.example")
        morgan = User.objects.get(email="morgan@acme-fitness.example")
        now = timezone.now()
        tickets = DsarTicket.objects.filter(controller=acme)
        if not tickets.filter(submission_token=DSAR_ACCESS_TOKEN).exists():
            access = dsar_ticket_submit(
                controller=acme,
                submitted_by=alex,
                request_type=DsarTicket.RequestType.ACCESS,
                data_subject_identifier="user_8f3a21",
                received_at=now - timedelta(days=9),
                details="The user asks for a copy of everything the app keeps about them.",
                submission_token=DSAR_ACCESS_TOKEN,
            )
            dsar_ticket_assign(ticket=access, assignee=agent, by=agent)
            dsar_ticket_transition(ticket=access, to=DsarTicket.Status.IN_PROGRESS, by=agent)
            dsar_reply_add(
                ticket=access,
                author=agent,
                body="Exported from D1 and R2; checking the analytics provider next.",
                visible_to_customer=False,
            )
            dsar_attachment_add(
                ticket=access,
                uploaded_by=agent,
                upload=SimpleUploadedFile(
                    "access-export.json",
                    b'{"user_id": "user_8f3a21", "records": 42, "files": 3}',
                ),
                visible_to_customer=True,
            )
            dsar_reply_add(
                ticket=access,
                author=agent,
                body="The export of the account's records is attached; files follow.",
                visible_to_customer=True,
            )
            self.written += 1
        if not tickets.filter(submission_token=DSAR_ERASURE_TOKEN).exists():
            erasure = dsar_ticket_submit(
                controller=acme,
                submitted_by=morgan,
                request_type=DsarTicket.RequestType.ERASURE,
                data_subject_identifier="runner-1987@example.com",
                received_at=now - timedelta(days=3),
                details="Delete the account, its workouts and uploaded photos.",
                submission_token=DSAR_ERASURE_TOKEN,
            )
            dsar_ticket_assign(ticket=erasure, assignee=agent, by=agent)
            dsar_ticket_transition(
                ticket=erasure,
                to=DsarTicket.Status.AWAITING_CUSTOMER,
                by=agent,
                note="Two accounts use this address: which user id is meant?",
            )
            self.written += 1

    def seed_breach(self, acme, lead, categories, subjects, cloudflare):
        """One incident notified to Acme, with a follow-up update, through the services."""
        if BreachIncident.objects.filter(title=BREACH_TITLE).exists():
            return
        now = timezone.now()
        incident = breach_incident_create(
            incident=BreachIncident(
                title=BREACH_TITLE,
                description=(
                    "A faulty deployment of the email worker sent 312 sign-in emails to the "
                    "address of the previous request in its queue."
                ),
                occurred_from=now - timedelta(hours=10),
                occurred_to=now - timedelta(hours=8),
                became_aware_at=now - timedelta(hours=6),
                nature_confidentiality=True,
                approx_data_subjects=312,
                approx_records=312,
                likely_consequences=(
                    "Recipients saw another person's email address and a sign-in link; the "
                    "links expired after 15 minutes. Risk of phishing against those addresses."
                ),
                measures_taken=(
                    "Deployment rolled back; every link sent in the window revoked; affected "
                    "sessions signed out."
                ),
                measures_proposed="A test that each email's recipient matches its request.",
                contact_point="Pia Officer, data protection officer, dpo@calljmp.example",
                risk_level=BreachIncident.RiskLevel.MEDIUM,
                owner=lead,
            ),
            by=lead,
        )
        history_stamp(incident, by=lead, reason="seed_demo")
        incident.data_categories.set([categories["Email addresses"]])
        incident.data_subject_categories.set([subjects])
        incident.affected_subprocessors.set([cloudflare])
        breach_controllers_confirm(incident=incident, by=lead, controllers=[acme])
        breach_notify_controllers(incident=incident, by=lead)
        update = breach_update_add(
            incident=incident,
            text="Root cause: a shared buffer in the email worker. Fixed and covered by a test.",
            by=lead,
        )
        breach_update_send(update=update, by=lead)
        breach_incident_transition(incident=incident, to=BreachIncident.Status.CONTAINED, by=lead)
        self.written += 1

    def upsert(self, model, lookup: dict, values: dict):
        """Create the row, or bring it to `values`; save only when something differs."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.full_clean()
            history_save(obj, by=None, reason="seed_demo")
            self.written += 1
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.full_clean()
            history_save(obj, by=None, reason="seed_demo")
            self.written += 1
        return obj

    def set_m2m(self, manager, objs):
        wanted = {o.pk for o in objs}
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(objs)
            self.written += 1

    def user(self, email, full_name, *, is_staff):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, full_name=full_name, is_staff=is_staff
            )
            self.written += 1
        return user

    def seed(self):
        staff = {}
        for email, full_name, role in STAFF:
            user = self.user(email, full_name, is_staff=True)
            self.set_m2m(user.groups, [Group.objects.get(name=role)])
            # A known secret per demo account, so that the printed secret stays valid.
            TOTPDevice.objects.get_or_create(
                user=user,
                name=DEMO_DEVICE,
                defaults={"confirmed": True, "key": demo_totp_key(email)},
            )
            staff[role] = user
        officer = staff[PRIVACY_OFFICER]

        processor = self.upsert(
            Processor,
            {"name": "Calljmp LLC"},
            {
                "address": "Calljmp LLC, demo address, Wilmington, DE, United States",
                "country": "US",
                "contact_name": "Privacy team",
                "contact_email": "privacy@calljmp.example",
                "dpo_name": "Pia Officer",
                "dpo_email": "dpo@calljmp.example",
                "representative": "EU representative named on request",
            },
        )
        categories = {
            name: self.upsert(
                DataCategory, {"name": name}, {"description": description, "retention": RETENTION}
            )
            for name, description in DATA_CATEGORIES.items()
        }
        subjects = self.upsert(
            DataSubjectCategory, {"name": SUBJECT_CATEGORY[0]}, {"description": SUBJECT_CATEGORY[1]}
        )
        measures = {
            name: self.upsert(
                SecurityMeasure,
                {"name": name},
                {
                    "category": category,
                    "description": description,
                    "scope": scope,
                    "owner": staff[SECURITY_LEAD],
                    "last_reviewed_on": date(2026, 9, 1),
                },
            )
            for name, category, description, scope in MEASURES
        }
        subprocessors = {}
        for spec in SUBPROCESSORS:
            sub = self.upsert(
                Subprocessor,
                {"name": spec["name"]},
                {
                    "legal_entity": spec["legal_entity"],
                    "service": spec["service"],
                    "website": spec["website"],
                    "certifications": spec["certifications"],
                    "processing_locations": ["US"],
                    "status": Subprocessor.Status.ACTIVE,
                    "engaged_on": date(2025, 11, 1),
                    "dpa_signed_on": date(2025, 10, 15),
                },
            )
            self.set_m2m(sub.data_categories, [categories[c] for c in spec["categories"]])
            self.upsert(
                Transfer,
                {"subprocessor": sub, "destination_country": "US"},
                {
                    "mechanism": Transfer.Mechanism.SCCS,
                    "scc_module": Transfer.SccModule.P2P,
                    "document_reference": f"{spec['name']} DPA, Annex: EU SCCs 2021/914 Module 3",
                    "tia_completed_on": date(2025, 10, 1),
                },
            )
            subprocessors[spec["name"]] = sub

        approved_at = timezone.make_aware(datetime(2026, 9, 15, 9, 0))
        for name, category, description, purpose, cats, subs, tom in ACTIVITIES:
            activity = self.upsert(
                ProcessingActivity,
                {"name": name},
                {
                    "processor": processor,
                    "category": category,
                    "description": description,
                    "purpose": purpose,
                    "retention": RETENTION,
                    "instruction": "DPA clauses 1 and 2: processing only to provide the service.",
                    "covers_all_controllers": True,
                    "status": ProcessingActivity.Status.APPROVED,
                    "approved_by": officer,
                    "approved_at": approved_at,
                    "next_review_on": date(2027, 9, 15),
                },
            )
            self.set_m2m(activity.data_categories, [categories[c] for c in cats])
            self.set_m2m(activity.data_subject_categories, [subjects])
            self.set_m2m(activity.subprocessors, [subprocessors[s] for s in subs])
            self.set_m2m(activity.security_measures, [measures[m] for m in tom])

        for party in CONTROLLERS:
            values = {k: v for k, v in party.items() if k not in ("legal_name", "users")}
            controller = self.upsert(
                Controller,
                {"legal_name": party["legal_name"]},
                {**values, "dpa_version": "2026-01", "status": Controller.Status.ACTIVE},
            )
            for email, full_name, role in party["users"]:
                user = self.user(email, full_name, is_staff=False)
                self.upsert(Membership, {"user": user, "controller": controller}, {"role": role})

        # An external auditor with time-boxed, read-only access to one customer.
        auditor = self.user(EXTERNAL_AUDITOR, "Erin External", is_staff=False)
        acme = Controller.objects.get(legal_name="Acme Fitness Ltd")
        membership = Membership.objects.filter(user=auditor, controller=acme).first()
        if membership is None:
            membership = Membership.objects.create(
                user=auditor,
                controller=acme,
                role=Membership.Role.AUDITOR,
                expires_at=timezone.now() + timedelta(days=90),
            )
            self.written += 1
        # ...under a customer audit grant: every area, terms to accept on first sign-in.
        if not AuditGrant.objects.filter(membership=membership).exists():
            grant = AuditGrant(
                auditor=auditor,
                controller=acme,
                membership=membership,
                areas=list(AuditArea.values),
                starts_at=min(membership.created_at, timezone.now()),
                expires_at=membership.expires_at or timezone.now() + timedelta(days=90),
                terms_version="1",
                terms=DEFAULT_AUDIT_TERMS,
                created_by=User.objects.get(email=STAFF[0][0]),
            )
            grant.full_clean()
            history_save(grant, by=None, reason="seed_demo")
            self.written += 1

        self.seed_requests(acme, staff[SUPPORT_AGENT])
        self.seed_breach(
            acme, staff[SECURITY_LEAD], categories, subjects, subprocessors["Cloudflare"]
        )
