"""What the API reads and writes, as pydantic models: the OpenAPI document is made from these.

Every date-time is ISO 8601 in UTC. No field carries a secret; a data subject's identifier
appears only on the organisation's own requests, which it sent us.
"""

import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from apps.dsar.models import DsarTicket


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


def _aware(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Give the time zone, e.g. 2026-03-01T09:30:00Z.")
    if value.year < 1900:
        raise ValueError("Give a date after 1900.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
AwareDateTime = Annotated[datetime.datetime, AfterValidator(_aware)]
RequestType = Literal[
    "access", "rectification", "erasure", "restriction", "portability", "objection"
]
assert set(RequestType.__args__) == set(DsarTicket.RequestType.values)  # type: ignore[attr-defined]


class FieldError(Schema):
    detail: str
    pointer: str | None = Field(None, description="JSON pointer into the body.")
    parameter: str | None = Field(None, description="The query or path parameter.")
    header: str | None = Field(None, description="The header.")


class Problem(Schema):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemTypeOut(Schema):
    type: str
    title: str
    status: int
    description: str


# --- organisations ----------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    legal_name: str
    country: str
    status: str
    time_zone: str
    dpa_version: str
    dpa_accepted_on: datetime.date | None


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next: str | None


# --- data-subject requests --------------------------------------------------------------------


class RequestIn(Schema):
    request_type: RequestType
    data_subject_identifier: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="How the person is known in your app: a user id or the e-mail address the "
        "account uses. No other personal data."
    )
    received_at: AwareDateTime = Field(
        description="When your organisation received the request; the Art. 12(3) month runs "
        "from it. Not in the future."
    )
    details: Annotated[Text, Field(max_length=20_000)] = ""


class RequestOut(Schema):
    reference: str
    request_type: str
    status: str
    data_subject_identifier: str
    details: str
    received_at: datetime.datetime
    submitted_at: datetime.datetime
    statutory_due_at: datetime.datetime
    due_at: datetime.datetime
    extension_months: int
    extension_reason: str
    rejection_reason: str
    resolution: str
    closed_at: datetime.datetime | None
    url: str


class RequestPage(Schema):
    items: list[RequestOut]
    next: str | None


class TimelineEntryOut(Schema):
    id: int
    kind: str
    author: Literal["processor", "customer"] | None
    body: str
    from_status: str
    to_status: str
    created_at: datetime.datetime


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next: str | None


class ReplyIn(Schema):
    body: Annotated[Text, Field(min_length=1, max_length=20_000)]


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    created_at: datetime.datetime
    download_url: str


class AttachmentPage(Schema):
    items: list[AttachmentOut]
    next: str | None


# --- breaches ---------------------------------------------------------------------------------


class BreachOut(Schema):
    reference: str
    title: str
    status: str
    risk_level: str
    became_aware_at: datetime.datetime
    notified_at: datetime.datetime | None
    acknowledged_at: datetime.datetime | None
    url: str


class BreachPage(Schema):
    items: list[BreachOut]
    next: str | None


class BreachUpdateOut(Schema):
    phase: int
    text: str
    sent_at: datetime.datetime


class BreachDetailOut(BreachOut):
    description: str
    occurred_from: datetime.datetime
    occurred_to: datetime.datetime | None
    nature: list[str]
    data_categories: list[str]
    data_subject_categories: list[str]
    approx_data_subjects: int | None
    approx_records: int | None
    likely_consequences: str
    measures_taken: str
    measures_proposed: str
    contact_point: str
    your_deadline_at: datetime.datetime | None = Field(
        description="The end of your own 72 hours (Art. 33(1)), counted from our notice."
    )
    acknowledged_by: str | None
    updates: list[BreachUpdateOut]
    report_url: str


# --- subprocessors and objections -------------------------------------------------------------


class TransferOut(Schema):
    destination_country: str
    mechanism: str
    scc_module: str
    document_reference: str
    tia_completed_on: datetime.date | None


class SubprocessorOut(Schema):
    id: int
    name: str
    legal_entity: str
    service: str
    processing_locations: list[str]
    status: str
    engaged_on: datetime.date | None
    certifications: str
    website: str
    transfers: list[TransferOut]


class SubprocessorPage(Schema):
    items: list[SubprocessorOut]
    next: str | None


class ObjectionOut(Schema):
    id: int
    change_id: int
    reason: str
    status: str
    resolution: str
    consequence: str = Field(
        description=(
            "For an upheld objection: `not_used` (the change's subprocessor is not used for "
            "your organisation) or `termination` (your organisation may end the agreement from "
            "`termination_on`); empty otherwise."
        )
    )
    termination_on: datetime.date | None
    raised_at: datetime.datetime
    resolved_at: datetime.datetime | None


class ObjectionPage(Schema):
    items: list[ObjectionOut]
    next: str | None


class ObjectionIn(Schema):
    change_id: int = Field(ge=1, le=2**63 - 1)
    reason: Annotated[Text, Field(min_length=1, max_length=20_000)]


class ChangeOut(Schema):
    id: int
    kind: str
    subprocessor: str
    replaces: str | None
    description: str
    announced_at: datetime.datetime
    effective_at: datetime.datetime
    status: str
    objection: ObjectionOut | None = Field(description="Your organisation's objection, if any.")


class ChangePage(Schema):
    items: list[ChangeOut]
    next: str | None


# --- the record of processing -----------------------------------------------------------------


class PartyOut(Schema):
    name: str
    address: str
    country: str
    contact_name: str
    contact_email: str
    dpo_name: str
    dpo_email: str
    representative: str


class ActivityOut(Schema):
    id: int
    name: str
    description: str
    purpose: str
    category: str
    data_categories: list[str]
    data_subject_categories: list[str]
    subprocessors: list[str]
    security_measures: list[str]
    retention: str
    instruction: str


class RecordTransferOut(TransferOut):
    subprocessor: str


class SecurityMeasureOut(Schema):
    name: str
    category: str
    description: str
    scope: str


class RecordOut(Schema):
    organisation: PartyOut
    processors: list[PartyOut]
    activities: list[ActivityOut]
    subprocessors: list[str]
    transfers: list[RecordTransferOut]
    security_measures: list[SecurityMeasureOut]
    generated_at: datetime.datetime


# --- change history ---------------------------------------------------------------------------


class FieldChangeOut(Schema):
    field: str
    old: str
    new: str


class HistoryEntryOut(Schema):
    seq: int
    at: datetime.datetime
    record: str
    model: str
    object_id: str
    action: Literal["created", "changed", "deleted"]
    reason: str
    by: str
    door: str
    changes: list[FieldChangeOut]


class HistoryPage(Schema):
    items: list[HistoryEntryOut]
    next: str | None
