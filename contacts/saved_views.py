"""Writes of a user's saved views of the contacts index: create, rename, delete.

A saved view belongs to one user; callers fetch it with `contacts.selectors.saved_view_get(owner=…)`,
so nobody can reach another user's view. Its filters, sort and columns are validated as the index
would read them, so that opening a saved view never shows an error.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from contacts.models import SavedView
from contacts.selectors import saved_view_state_valid

NAME_MAX_LENGTH = SavedView._meta.get_field("name").max_length


class SavedViewInvalid(ValueError):
    """The name is empty, too long or taken, or the filters, sort or columns are invalid. Nothing was saved."""


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SavedViewInvalid("Give the view a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise SavedViewInvalid(f"A view's name has at most {NAME_MAX_LENGTH} characters.")
    return name


def _save(saved_view: SavedView) -> SavedView:
    try:
        with transaction.atomic():
            saved_view.save()
    except IntegrityError as error:
        raise SavedViewInvalid(f"You already have a view named “{saved_view.name}”.") from error
    return saved_view


def saved_view_create(*, owner, name: str, query: str, sort: str, columns: Sequence[str]) -> SavedView:
    """Save the index's current filters (`query`), `sort` and `columns` as `owner`'s view `name`."""
    name = _clean_name(name)
    errors = saved_view_state_valid(query=query, sort=sort, columns=columns)
    if errors:
        raise SavedViewInvalid(" ".join(errors))
    return _save(SavedView(owner=owner, name=name, query=query, sort=sort, columns=list(columns)))


def saved_view_rename(*, saved_view: SavedView, name: str) -> SavedView:
    saved_view.name = _clean_name(name)
    return _save(saved_view)


def saved_view_delete(*, saved_view: SavedView) -> None:
    saved_view.delete()
