"""The words of the domain: every status and kind the app stores, in one place.

These are plain string enums so the database keeps readable values, the check
constraints are generated from the same lists, and domain code needs no framework.
"""

from __future__ import annotations

from enum import StrEnum


class ApplicantType(StrEnum):
    EGG_DONOR = "egg_donor"
    GESTATIONAL_CARRIER = "gestational_carrier"
    OTHER = "other"  # e.g. intended-parent inquiries some agencies take

    @property
    def label(self) -> str:
        return {
            "egg_donor": "Egg donor",
            "gestational_carrier": "Gestational carrier",
            "other": "Other",
        }[self.value]


class ContactMethod(StrEnum):
    """How a person would rather be reached (DOMAIN.md: preferred contact method)."""

    EMAIL = "email"
    PHONE = "phone"
    TEXT = "text"
    WHATSAPP = "whatsapp"

    @property
    def label(self) -> str:
        return {
            "email": "Email",
            "phone": "Phone call",
            "text": "Text message",
            "whatsapp": "WhatsApp",
        }[self.value]


class CampaignTarget(StrEnum):
    EGG_DONOR = "egg_donor"
    GESTATIONAL_CARRIER = "gestational_carrier"
    ANY = "any"


class LeadSource(StrEnum):
    WEBSITE = "website"
    FACEBOOK_INSTAGRAM = "facebook_instagram"
    GOOGLE = "google"
    REFERRAL = "referral"
    PHONE = "phone"
    CLINIC = "clinic"
    OTHER_AGENCY = "other_agency"
    RETURNING = "returning"
    EVENT = "event"
    IMPORT = "import"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _SOURCE_LABELS.get(self.value, self.value.replace("_", " ").capitalize())


_SOURCE_LABELS = {
    "facebook_instagram": "Facebook / Instagram",
    "other_agency": "Another agency",
    "returning": "Returning applicant",
    "event": "Event / campus",
    "import": "Spreadsheet import",
}


class LeadStatus(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    PROMOTED = "promoted"
    IGNORED = "ignored"


class PipelineStage(StrEnum):
    """DOMAIN.md's pipeline, in order, followed by the side states."""

    INQUIRY = "inquiry"
    PRE_SCREEN = "pre_screen"
    APPLICATION = "application"
    INTAKE = "intake"
    RECORDS = "records"
    APPROVED = "approved"
    AVAILABLE = "available"
    MATCHED = "matched"
    CLINIC_SCREENING = "clinic_screening"
    CONTRACTS = "contracts"
    ACTIVE_CYCLE = "active_cycle"
    COMPLETED = "completed"
    # side states, reachable from any stage
    DEFERRED = "deferred"
    WITHDRAWN = "withdrawn"
    UNRESPONSIVE = "unresponsive"
    DISQUALIFIED = "disqualified"

    @property
    def is_side_state(self) -> bool:
        return self in SIDE_STATES

    @property
    def label(self) -> str:
        return _STAGE_LABELS.get(self.value, self.value.replace("_", " ").capitalize())


_STAGE_LABELS = {
    "pre_screen": "Pre-screen",
    "intake": "Intake / review",
    "records": "Records and checks",
}


SIDE_STATES = frozenset(
    {PipelineStage.DEFERRED, PipelineStage.WITHDRAWN, PipelineStage.UNRESPONSIVE,
     PipelineStage.DISQUALIFIED}
)


class ScreeningOutcome(StrEnum):
    PASS = "pass"
    DQ = "dq"
    FLAG = "flag"
    DEFER = "defer"
    NEEDS_DATA = "needs_data"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    ScreeningOutcome.DQ: "DQ", ScreeningOutcome.DEFER: "Deferred",
    ScreeningOutcome.NEEDS_DATA: "Needs data", ScreeningOutcome.FLAG: "Flagged",
    ScreeningOutcome.PASS: "Passed",
}


class EmailKind(StrEnum):
    """Marketing mail needs consent, unsubscribe and postal address; service mail is
    transactional (a rejection notice, a reply to the person's own request)."""

    MARKETING = "marketing"
    SERVICE = "service"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class StepKind(StrEnum):
    EMAIL = "email"
    WAIT = "wait"


class DelayFrom(StrEnum):
    ENROLMENT = "enrolment"
    PREVIOUS_STEP = "previous_step"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"


class EnrolmentStepStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


class MassEmailStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """Every email ends in exactly one terminal state; see DESIGN.md "Sending engine"."""

    QUEUED = "queued"
    CLAIMED = "claimed"  # leased by a dispatcher, HTTP call not yet started
    SENDING = "sending"  # HTTP call may have started: a lost lease becomes UNCERTAIN
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"
    UNCERTAIN = "uncertain"
    SAVED_LOCALLY = "saved_locally"  # local mode: written as .eml, not sent

    @property
    def is_terminal(self) -> bool:
        return self not in (OutboxStatus.QUEUED, OutboxStatus.CLAIMED, OutboxStatus.SENDING)


class OutboxOrigin(StrEnum):
    DRIP = "drip"
    MASS_EMAIL = "mass_email"
    SINGLE = "single"  # a rejection notice, a test send, a one-off from a contact


class SuppressionReason(StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    GROUP_UNSUBSCRIBE = "group_unsubscribe"
    BOUNCE = "bounce"
    SPAM_REPORT = "spam_report"
    INVALID = "invalid"
    BLOCK = "block"
    MANUAL = "manual"


class ImportTarget(StrEnum):
    LEADS = "leads"
    CONTACTS = "contacts"


class ImportStatus(StrEnum):
    COMMITTED = "committed"
    UNDONE = "undone"


class DuplicatePolicy(StrEnum):
    SKIP = "skip"
    FILL = "fill"
    OVERWRITE = "overwrite"
    CREATE = "create"


class CaseStatus(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class EmailDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class SavedViewKind(StrEnum):
    LEAD_FILTER = "lead_filter"
    CONTACT_FILTER = "contact_filter"
    SEGMENT = "segment"
