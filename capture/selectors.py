"""Reads for lead-capture settings: each tool's "create contacts as marketing" setting and its history, and
every tool that sets marketing status now, with a warning where its configurer may no longer do so."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse

from capture.sources import BY_DEFAULT, NON_HUBSPOT_FORMS, STATUS_TOOL_KINDS, SWITCHED_ON, StatusTool, status_tools
from marketing_status.actors import MARKETING_ACCESS_PERMISSION
from marketing_status.models import CreationToolSettingChange
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get

# The backend that grants permissions (the sign-in throttle in front of it grants none).
PERMISSIONS_BACKEND = "django.contrib.auth.backends.ModelBackend"


def setting_history(*, tool: CreationTool, source_id: str = "") -> QuerySet:
    """Who switched a tool's setting, when, from what to what; newest first (R5–R8)."""
    if tool == CreationTool.NON_HUBSPOT_FORM:
        source_id = ""  # R6: one account-wide setting
    return (
        CreationToolSettingChange.objects.filter(tool=tool, source_id=source_id)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
    )


def setting_changes(*, limit: int = 200) -> QuerySet:
    """Every change of every tool's setting, newest first, for the Lead capture settings page."""
    return CreationToolSettingChange.objects.select_related("changed_by").order_by("-changed_at", "-pk")[:limit]


def settings_switched_on(*, tool: CreationTool, source_ids: Iterable[str]) -> dict[str, CreationToolSettingChange]:
    """Source id -> the last change that switched its setting on (with `changed_by`), for those that have one.
    One query."""
    ids = list(source_ids)
    if not ids:
        return {}
    changes = (
        CreationToolSettingChange.objects.filter(tool=tool, source_id__in=ids, new_value=True)
        .select_related("changed_by")
        .order_by("source_id", "-changed_at", "-pk")
    )
    last: dict[str, CreationToolSettingChange] = {}
    for change in changes:
        last.setdefault(change.source_id, change)
    return last


def _non_hubspot_forms() -> list[StatusTool]:
    """R6's account-wide setting, when it is on: on by default, or switched on by someone."""
    if not creation_tool_setting_get(tool=CreationTool.NON_HUBSPOT_FORM):
        return []
    change = settings_switched_on(tool=CreationTool.NON_HUBSPOT_FORM, source_ids=[""]).get("")
    url = reverse("capture:settings") + "#marketing-setting"
    return [
        StatusTool(
            key="non-hubspot-forms",
            kind=NON_HUBSPOT_FORMS,
            name="Forms on other sites",
            url=url,
            switch_url=url,
            effect="New contacts from forms captured on other sites are marketing, and existing non-marketing "
            "contacts who submit one become marketing.",
            person=change.changed_by if change else None,
            person_did=SWITCHED_ON if change else BY_DEFAULT,
            at=change.changed_at if change else None,
        )
    ]


@dataclass(frozen=True)
class StatusToolRow:
    tool: StatusTool
    warning: str  # empty while whoever switched it on is active and has Marketing contact access


def _warning(tool: StatusTool, allowed: set[int]) -> str:
    person = tool.person
    if person is None or person.pk in allowed:
        return ""
    did = "switched it on" if tool.person_did == SWITCHED_ON else "created it"
    who = f"{person.get_username()}, who {did},"
    if not person.is_active:
        return f"{who} is no longer active. It keeps working: switch it off unless it should."
    return f"{who} no longer has Marketing contact access. It keeps working: switch it off unless it should."


def status_setting_tools() -> list[StatusToolRow]:
    """Every tool that sets marketing status now (forms on, including those on by default, the non-HubSpot
    forms setting, chatflows and integrations on, enabled workflows with a status action), each with who
    switched it on or created it, and a warning when that person is inactive or lost Marketing contact
    access (R30 is checked when someone configures a tool; the tool keeps working as the admins decide).
    One query for the warnings, whatever the number of tools."""
    tools = sorted(
        [*_non_hubspot_forms(), *status_tools()],
        key=lambda tool: (STATUS_TOOL_KINDS.index(tool.kind), tool.name.lower(), tool.key),
    )
    people = {tool.person.pk for tool in tools if tool.person is not None}
    allowed = set(
        get_user_model()
        .objects.with_perm(
            MARKETING_ACCESS_PERMISSION, is_active=True, include_superusers=True, backend=PERMISSIONS_BACKEND
        )
        .filter(pk__in=people)
        .values_list("pk", flat=True)
    )
    return [StatusToolRow(tool, _warning(tool, allowed)) for tool in tools]
