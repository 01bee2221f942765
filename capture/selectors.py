"""Reads for lead-capture settings: each tool's "create contacts as marketing" setting and its history."""

from django.db.models import QuerySet

from marketing_status.models import CreationToolSettingChange
from marketing_status.policy import CreationTool


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
