"""All tables. Importing this package registers every model on ``Base.metadata``."""

from .agency import AgencySettings, AppState, SavedView, SenderIdentity, Staff, Tag
from .base import Base
from .campaigns import (
    DripCampaign,
    DripStep,
    Enrolment,
    EnrolmentStep,
    MassEmail,
    MassEmailRecipient,
    Template,
    TemplateVersion,
)
from .imports import ImportBatch, ImportBatchChange, ImportMapping
from .outbox import OutboxMessage, Suppression
from .people import (
    AuditEntry,
    Contact,
    ContactDocument,
    ContactEmail,
    ContactNote,
    DocumentContent,
    Lead,
    PersonTag,
)
from .screening import Case, Client, DQRuleSet, ScreeningEvaluation
from .stats import CategoryStat

__all__ = [
    "AgencySettings",
    "AppState",
    "AuditEntry",
    "Base",
    "Case",
    "CategoryStat",
    "Client",
    "Contact",
    "ContactDocument",
    "ContactEmail",
    "ContactNote",
    "DQRuleSet",
    "DocumentContent",
    "DripCampaign",
    "DripStep",
    "Enrolment",
    "EnrolmentStep",
    "ImportBatch",
    "ImportBatchChange",
    "ImportMapping",
    "Lead",
    "MassEmail",
    "MassEmailRecipient",
    "OutboxMessage",
    "PersonTag",
    "SavedView",
    "ScreeningEvaluation",
    "SenderIdentity",
    "Staff",
    "Suppression",
    "Tag",
    "Template",
    "TemplateVersion",
]
