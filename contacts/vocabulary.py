"""The contact vocabulary: what created a contact and what set its marketing status.

`Contact.creation_tool` and `Contact.marketable_reason_type` store these values; HubSpot names them
`hs_object_source` and `hs_marketable_reason_type`. The marketing-status policy decides with them
(`marketing_status.policy` re-exports them); lists, emails and audiences filter by them.
"""

from enum import StrEnum

from crm.enums import Labelled


class ReasonType(Labelled, StrEnum):
    """`hs_marketable_reason_type`: what set a contact's marketing status."""

    INITIAL_STATE = "INITIAL_STATE"
    USER_SET = "USER_SET"
    CONTACT_IMPORT = "CONTACT_IMPORT"
    FORM_SUBMISSION = "FORM_SUBMISSION"
    CONVERSATION = "CONVERSATION"
    INTEGRATOR_SET = "INTEGRATOR_SET"
    WORKFLOW = "WORKFLOW"
    EMAIL = "EMAIL"
    AD = "AD"
    SAMPLE_CONTACT = "SAMPLE_CONTACT"

    @property
    def label(self) -> str:
        """What screens show; the API keeps the value."""
        return REASON_TYPE_LABELS[self]


class CreationTool(Labelled, StrEnum):
    """What created a contact (R2–R9)."""

    MANUAL = "MANUAL"
    IMPORT = "IMPORT"  # single-object, single-file import (R4)
    MULTI_IMPORT = "MULTI_IMPORT"  # multi-object or multi-file import (R4, R9)
    HUBSPOT_FORM = "HUBSPOT_FORM"
    NON_HUBSPOT_FORM = "NON_HUBSPOT_FORM"
    CHATFLOW = "CHATFLOW"
    INTEGRATION = "INTEGRATION"
    MOBILE_APP = "MOBILE_APP"
    ONE_TO_ONE_EMAIL = "ONE_TO_ONE_EMAIL"
    TEAM_INBOX = "TEAM_INBOX"
    DOCUMENT = "DOCUMENT"
    MEETINGS = "MEETINGS"
    EMAIL_EXTENSION = "EMAIL_EXTENSION"
    TICKET = "TICKET"
    DEAL = "DEAL"
    SAMPLE = "SAMPLE"

    @property
    def label(self) -> str:
        """What screens show; the API keeps the value."""
        return CREATION_TOOL_LABELS[self]


REASON_TYPE_LABELS: dict[ReasonType, str] = {
    ReasonType.INITIAL_STATE: "Initial state",
    ReasonType.USER_SET: "Set by a user",
    ReasonType.CONTACT_IMPORT: "Contact import",
    ReasonType.FORM_SUBMISSION: "Form submission",
    ReasonType.CONVERSATION: "Conversation",
    ReasonType.INTEGRATOR_SET: "Set by an integration",
    ReasonType.WORKFLOW: "Workflow",
    ReasonType.EMAIL: "Email",
    ReasonType.AD: "Ad",
    ReasonType.SAMPLE_CONTACT: "Sample contact",
}
CREATION_TOOL_LABELS: dict[CreationTool, str] = {
    CreationTool.MANUAL: "Created by a user",
    CreationTool.IMPORT: "Import",
    CreationTool.MULTI_IMPORT: "Multi-file or multi-object import",
    CreationTool.HUBSPOT_FORM: "Form",
    CreationTool.NON_HUBSPOT_FORM: "Non-HubSpot form",
    CreationTool.CHATFLOW: "Chatflow",
    CreationTool.INTEGRATION: "Integration",
    CreationTool.MOBILE_APP: "Mobile app",
    CreationTool.ONE_TO_ONE_EMAIL: "One-to-one email",
    CreationTool.TEAM_INBOX: "Team inbox",
    CreationTool.DOCUMENT: "Document",
    CreationTool.MEETINGS: "Meetings",
    CreationTool.EMAIL_EXTENSION: "Email extension",
    CreationTool.TICKET: "Ticket",
    CreationTool.DEAL: "Deal",
    CreationTool.SAMPLE: "Sample contact",
}
