"""Names of the forms, chatflows and integrations that settings and histories refer to by id, and the tools
that set marketing status now.

A tool's setting is stored under (tool, source id): a form's guid, a chatflow's or an integration's
id. Each app that owns such sources registers a resolver in its `AppConfig.ready()`, so that pages
listing settings show "Newsletter signup" with a link rather than a bare id, without this app
depending on theirs. The same way, each app that owns tools able to set marketing status (forms,
chatflows, integrations, workflows) registers a provider of `StatusTool`s: those that do so now,
with who switched them on, for Settings > Lead capture (`capture.selectors.status_setting_tools`).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from marketing_status.policy import CreationTool

# tool -> resolver(source ids) -> {source id: (name, url)}; unknown ids are left out
Resolver = Callable[[list[str]], dict[str, tuple[str, str]]]
_resolvers: dict[CreationTool, Resolver] = {}


def register(tool: CreationTool, resolver: Resolver) -> None:
    _resolvers[tool] = resolver


def source_names(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(tool, source id) -> (name, url), one query per tool; sources without a resolver or row are left out."""
    by_tool: dict[str, set[str]] = {}
    for tool, source_id in pairs:
        if source_id:
            by_tool.setdefault(tool, set()).add(source_id)
    names = {}
    for tool, ids in by_tool.items():
        resolver = _resolvers.get(CreationTool(tool))
        if resolver is not None:
            names.update({(tool, source_id): found for source_id, found in resolver(sorted(ids)).items()})
    return names


# Kinds of `StatusTool`, in the order Settings > Lead capture lists them.
FORM, NON_HUBSPOT_FORMS, CHATFLOW, INTEGRATION, WORKFLOW = (
    "Form",
    "Non-HubSpot forms",
    "Chatflow",
    "Integration",
    "Workflow",
)
STATUS_TOOL_KINDS = (FORM, NON_HUBSPOT_FORMS, CHATFLOW, INTEGRATION, WORKFLOW)
SWITCHED_ON, CREATED, BY_DEFAULT = "Switched on", "Created", "On by default"


@dataclass(frozen=True)
class StatusTool:
    """A tool that sets marketing status now (R5–R8, R18), whoever configured it, and who that was.

    `person` is who last switched it on, else who created it (`person_did` says which; None: the system, a
    deleted user, or nobody for a default); `switch_url` is where its switch is (R30 applies there).
    """

    key: str  # unique on the page: "form:<guid>", "workflow:<id>"…
    kind: str  # one of STATUS_TOOL_KINDS
    name: str
    url: str
    switch_url: str
    effect: str  # what it does, in words
    person: Any = None
    person_did: str = ""
    at: dt.datetime | None = None
    note: str = ""
    switch_label: str = "Switch off…"


StatusToolsProvider = Callable[[], list[StatusTool]]
_status_providers: list[StatusToolsProvider] = []


def register_status_tools(provider: StatusToolsProvider) -> None:
    if provider not in _status_providers:
        _status_providers.append(provider)


def status_tools() -> list[StatusTool]:
    """What every registered provider lists."""
    return [tool for provider in _status_providers for tool in provider()]
