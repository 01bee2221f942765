"""Names of the forms, chatflows and integrations that settings and histories refer to by id.

A tool's setting is stored under (tool, source id): a form's guid, a chatflow's or an integration's
id. Each app that owns such sources registers a resolver in its `AppConfig.ready()`, so that pages
listing settings show "Newsletter signup" with a link rather than a bare id, without this app
depending on theirs.
"""

from collections.abc import Callable, Iterable

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
