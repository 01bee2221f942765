"""The tools that set marketing status now, for Settings > Lead capture.

Each app that owns tools able to set marketing status (forms, chatflows, integrations, workflows)
registers, in its `AppConfig.ready()`, a provider of `StatusTool`s: those that do so now, with who
switched them on (`capture.selectors.status_setting_tools`), without this app depending on theirs.
The names of the sources a setting is stored under (a form's guid, a chatflow's or an integration's
id) come from `crm.sources`, where the same apps register them.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
