"""The names of the objects that histories and tallies refer to by type and id: a form, a workflow, a
chatflow, an import, an integration, a user.

A status change names its source by a reason type and an id, and who made it by an actor kind and an id;
a contact names what created it by a creation tool and an id. The apps that own those objects sit above
the ones that record them, so each registers, in its `AppConfig.ready()`, a resolver for the types that
name its objects (`sources_register`). Screens then ask `sources_resolve` once per page: one query per
kind of object, however many rows name it. An id whose object is gone reads "Deleted form".
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.html import format_html

# resolver(ids) -> {id: (name, url)}; ids it does not find are left out
Resolver = Callable[[list[str]], dict[str, tuple[str, str]]]


@dataclass(frozen=True)
class SourceKind:
    noun: str  # "form": "Deleted form" when its object is gone
    resolver: Resolver


@dataclass(frozen=True)
class SourceName:
    """What a screen shows for one (type, id): the object's name linked to its page, or that it was deleted."""

    name: str
    url: str = ""
    deleted: bool = False

    def __str__(self) -> str:
        # Templates call str() before escaping: a name renders as its link. Plain text uses `name`.
        return self.__html__()

    def __html__(self) -> str:
        if self.url:
            return format_html('<a href="{}">{}</a>', self.url, self.name)
        if self.deleted:
            return format_html('<span class="muted">{}</span>', self.name)
        return format_html("{}", self.name)


_kinds: dict[str, SourceKind] = {}  # type (a reason type, actor kind or creation tool value) -> its kind


def sources_register(*, noun: str, types: Iterable[str], resolver: Resolver) -> None:
    """Name the objects of `noun` for every type in `types`; a type already naming another noun is an error."""
    kind = SourceKind(noun, resolver)
    for source_type in types:
        known = _kinds.get(str(source_type))
        if known is not None and known != kind:
            raise ValueError(f"{source_type} already names a {known.noun}")
        _kinds[str(source_type)] = kind


def sources_resolve(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], SourceName]:
    """(type, id) -> its `SourceName`, one resolver call per kind. A type that no app registered (an email, an
    ad…) has no page to link: its id is shown as it is. Pairs without an id are left out."""
    wanted: dict[SourceKind, set[str]] = {}
    pairs = {(str(source_type), source_id) for source_type, source_id in pairs if source_id}
    for source_type, source_id in pairs:
        kind = _kinds.get(source_type)
        if kind is not None:
            wanted.setdefault(kind, set()).add(source_id)
    found = {kind: kind.resolver(sorted(ids)) for kind, ids in wanted.items()}
    names = {}
    for source_type, source_id in pairs:
        kind = _kinds.get(source_type)
        if kind is None:
            names[(source_type, source_id)] = SourceName(source_id)
        elif source_id in found[kind]:
            name, url = found[kind][source_id]
            names[(source_type, source_id)] = SourceName(name, url)
        else:
            names[(source_type, source_id)] = SourceName(f"Deleted {kind.noun}", deleted=True)
    return names
