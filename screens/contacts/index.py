"""The contacts index and the user's saved views of it.

Thin views: read and validate the request, call a selector or service, render. Everything the
index shows is in its URL (filters, `sort`, `columns`, `per_page`, `cursor`), so a page can be
bookmarked, and a saved view is only such a URL stored under a name.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from contacts import saved_views
from contacts.models import SavedView
from contacts.selectors import (
    ALWAYS_SHOWN,
    COLUMNS,
    DEFAULT_COLUMNS,
    DEFAULT_SORT,
    PER_PAGE_DEFAULT,
    InvalidCursor,
    Sort,
    columns_parse,
    contacts_index_page,
    cursor_decode,
    filter_query,
    index_filterset,
    index_menus_get,
    per_page_parse,
    saved_view_get,
)
from screens.contacts import index_html

PER_PAGE_CHOICES = (25, 50, 100, 200)


@dataclass(frozen=True)
class IndexState:
    """What the index shows besides its filters, read from the URL."""

    query: str  # the canonical filter query string
    sort: Sort
    columns: tuple[str, ...]
    per_page: int
    view: int | None  # the saved view this state was opened from (its tab is highlighted)

    def url(self, **changes) -> str:
        """The index URL for this state with `changes` (sort, columns, per_page, cursor), defaults left out."""
        sort = changes.get("sort", self.sort)
        columns = changes.get("columns", self.columns)
        per_page = changes.get("per_page", self.per_page)
        params = [
            *([("sort", sort.token)] if sort != DEFAULT_SORT else []),
            *([("columns", column) for column in columns] if tuple(columns) != DEFAULT_COLUMNS else []),
            *([("per_page", per_page)] if per_page != PER_PAGE_DEFAULT else []),
            # The tab stays highlighted while paging, not once the sort or columns change.
            *([("view", self.view)] if self.view and not {"sort", "columns"} & changes.keys() else []),
            *([("cursor", changes["cursor"])] if changes.get("cursor") else []),
        ]
        query = "&".join(part for part in (self.query, urlencode(params)) if part)
        return reverse("contacts:index") + (f"?{query}" if query else "")


def _state(request, query: str) -> IndexState:
    view = request.GET.get("view", "")
    return IndexState(
        query=query,
        sort=Sort.parse(request.GET.get("sort")),
        columns=columns_parse(request.GET.getlist("columns")),
        per_page=per_page_parse(request.GET.get("per_page")),
        view=int(view) if view.isdigit() else None,
    )


def _headers(state: IndexState) -> list[dict]:
    headers = []
    for key in state.columns:
        active = state.sort.column == key
        headers.append(
            {
                "column": COLUMNS[key],
                "url": state.url(sort=state.sort.toggled(key)),
                "sorted": ("descending" if state.sort.descending else "ascending") if active else "",
            }
        )
    return headers


def _render_index(request, *, filterset, menus, state, page=None, error="", status=200):
    context = {
        "title": "Contacts",
        "section": "contacts",
        "filterset": filterset,
        "search": filterset.form["q"],
        "filter_controls": index_html.filter_controls([bound for bound in filterset.form if bound.name != "q"]),
        "menus": menus,
        "contact_lists": menus.lists,  # for the "Add to list" include, which would otherwise read them again
        "state": state,
        "headers": _headers(state),
        "column_choices": [(column, column.key in state.columns) for column in COLUMNS.values()],
        "always_shown": ALWAYS_SHOWN,
        "per_page_choices": PER_PAGE_CHOICES,
        "active_view": next((view for view in menus.saved_views if view.pk == state.view), None),
        "page": page,
        "error": error,
    }
    if page is not None:
        context["rows"] = [
            {"id": row["id"], "name": index_html.display_name(row), "cells": index_html.row_cells(row, state.columns)}
            for row in page.rows
        ]
        context["next_url"] = state.url(cursor=page.next_cursor) if page.next_cursor else ""
        context["previous_url"] = state.url(cursor=page.previous_cursor) if page.previous_cursor else ""
    return render(request, "contacts/index.html", context, status=status)


@login_required
@require_GET
def contact_index(request):
    """The contacts index: search, filters, sort, columns, keyset pages, saved views and the selection."""
    menus = index_menus_get(user=request.user)
    filterset = index_filterset(data=request.GET, lists=menus.lists)
    if not filterset.is_valid():
        state = _state(request, query="")
        return _render_index(request, filterset=filterset, menus=menus, state=state, status=400)
    state = _state(request, query=filter_query(filterset))
    try:
        cursor = cursor_decode(request.GET.get("cursor"), sort=state.sort)
    except InvalidCursor:
        error = "This page link is not valid (it was changed, or belongs to another sort)."
        return _render_index(request, filterset=filterset, menus=menus, state=state, error=error, status=400)
    page = contacts_index_page(
        queryset=filterset.qs,
        sort=state.sort,
        cursor=cursor,
        per_page=state.per_page,
        columns=state.columns,
    )
    return _render_index(request, filterset=filterset, menus=menus, state=state, page=page)


def _owned_view(request, pk: int) -> SavedView:
    try:
        return saved_view_get(owner=request.user, pk=pk)
    except SavedView.DoesNotExist as error:
        raise Http404("No such saved view.") from error


def _saved_view_url(saved_view: SavedView) -> str:
    state = IndexState(
        query=saved_view.query,
        sort=Sort.parse(saved_view.sort),
        columns=columns_parse(saved_view.columns),
        per_page=PER_PAGE_DEFAULT,
        view=saved_view.pk,
    )
    return state.url()


@login_required
@require_GET
def saved_view_open(request, pk: int):
    """Open one of the user's saved views: the index with its filters, sort and columns."""
    return HttpResponseRedirect(_saved_view_url(_owned_view(request, pk)))


@login_required
@require_POST
def saved_view_new(request):
    """Save the index's current filters, sort and columns under a name."""
    query, sort = request.POST.get("query", ""), request.POST.get("sort", "")
    columns = request.POST.getlist("columns")
    try:
        saved_view = saved_views.saved_view_create(
            owner=request.user, name=request.POST.get("name", ""), query=query, sort=sort, columns=columns
        )
    except saved_views.SavedViewInvalid as error:
        messages.error(request, str(error))
        back = IndexState(query, Sort.parse(sort), columns_parse(columns), PER_PAGE_DEFAULT, None)
        return HttpResponseRedirect(back.url())
    messages.success(request, f"Saved the view “{saved_view.name}”.")
    return HttpResponseRedirect(reverse("contacts:saved_view_open", args=[saved_view.pk]))


@login_required
@require_POST
def saved_view_rename(request, pk: int):
    saved_view = _owned_view(request, pk)
    try:
        saved_views.saved_view_rename(saved_view=saved_view, name=request.POST.get("name", ""))
    except saved_views.SavedViewInvalid as error:
        messages.error(request, str(error))
    return HttpResponseRedirect(reverse("contacts:saved_view_open", args=[pk]))


@login_required
@require_POST
def saved_view_delete(request, pk: int):
    saved_view = _owned_view(request, pk)
    saved_views.saved_view_delete(saved_view=saved_view)
    messages.success(request, f"Deleted the view “{saved_view.name}”.")
    return HttpResponseRedirect(reverse("contacts:index"))
