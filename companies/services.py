"""Writes of companies: set-based upserts keyed by domain (or name) and associations with contacts.

Imports with companies (multi-object and multi-file, R4) call these once per chunk, inside the
chunk's transaction: one query finds the existing companies, one bulk insert creates the new ones,
one bulk update changes the others, one bulk insert associates contacts. A company's domain is
unique, so two imports creating the same company at once cannot both succeed: the second one's
chunk fails with IntegrityError and is retried by its caller, then finds the company.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models.functions import Lower
from django.utils import timezone

from companies.models import Company, CompanyContact
from crm.actors import Actor

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9]{1,59})")
NAME_MAX_LENGTH = Company._meta.get_field("name").max_length
COMPANIES_REFUSED = "You need permission to create and edit companies."
DOMAIN_MAX_LENGTH = Company._meta.get_field("domain").max_length


def normalize_domain(value: str | None) -> str | None:
    """A company domain as stored: 'https://www.Example.com/about' becomes 'example.com'.

    None for a blank value; ValueError when what remains is not a domain name. International
    names are stored in their ASCII (punycode) form, so each company has one spelling.
    """
    text = (value or "").strip().lower()
    if not text:
        return None
    text = _SCHEME.sub("", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0].split(":", 1)[0].rstrip(".")
    text = text.removeprefix("www.")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"{value!r} is not a domain name.") from None
    if len(text) > DOMAIN_MAX_LENGTH or not _DOMAIN.fullmatch(text):
        raise ValueError(f"{value!r} is not a domain name.")
    return text


@dataclass(frozen=True)
class CompanyData:
    """One company as a row of a file names it: by domain, by name, or both."""

    name: str | None = None
    domain: str | None = None  # already normalised

    @property
    def key(self) -> tuple[str, str] | None:
        """What identifies the company: its domain, else its name (case-insensitively), else nothing."""
        if self.domain:
            return ("domain", self.domain)
        if self.name:
            return ("name", self.name.lower())
        return None


@dataclass
class UpsertResult:
    ids: dict[tuple[str, str], int] = field(default_factory=dict)  # CompanyData.key → company id
    created: int = 0
    updated: int = 0


def _merged(rows: Sequence[CompanyData]) -> dict[tuple[str, str], CompanyData]:
    """One entry per company. A company known by its domain takes the last non-blank name given, as it
    would row by row; one known by its name keeps the first spelling (the name is what identifies it)."""
    merged: dict[tuple[str, str], CompanyData] = {}
    for row in rows:
        if row.key is None:
            continue
        before = merged.get(row.key)
        if before is None or (row.domain and row.name):
            merged[row.key] = CompanyData(name=row.name or (before.name if before else None), domain=row.domain)
    return merged


def _existing(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Company]:
    domains = [value for kind, value in keys if kind == "domain"]
    names = [value for kind, value in keys if kind == "name"]
    found: dict[tuple[str, str], Company] = {}
    if domains:
        for company in Company.objects.filter(domain__in=domains):
            found[("domain", company.domain)] = company
    if names:
        by_name = Company.objects.annotate(name_key=Lower("name")).filter(name_key__in=names).order_by("-pk")
        for company in by_name:  # the oldest company of a name wins: it is written last
            found[("name", company.name_key)] = company
    return found


def companies_upsert(*, rows: Sequence[CompanyData], actor: Actor, now: datetime | None = None) -> UpsertResult:
    """Create the companies of `rows` that do not exist and update the names of those that do.

    A company is found by its domain, or, for a row without one, by its name (case-insensitively,
    the oldest of that name). Blank values leave stored ones alone. Call inside a transaction.
    """
    actor.ensure_permission("companies.add_company", COMPANIES_REFUSED)
    now = now or timezone.now()
    merged = _merged(rows)
    existing = _existing(merged)
    result = UpsertResult()
    changed = []
    for key, company in existing.items():
        name = merged[key].name
        if key[0] == "domain" and name and name != company.name:
            company.name, company.updated_at = name, now
            changed.append(company)
        result.ids[key] = company.pk
    if changed:
        Company.objects.bulk_update(changed, ["name", "updated_at"])
    new = [
        Company(name=data.name or "", domain=data.domain, created_at=now, updated_at=now)
        for key, data in merged.items()
        if key not in existing
    ]
    Company.objects.bulk_create(new)
    for company in new:
        result.ids[CompanyData(company.name or None, company.domain).key] = company.pk
    result.created, result.updated = len(new), len(changed)
    return result


def contacts_companies_associate(*, pairs: Iterable[tuple[int, int]], actor: Actor, now: datetime | None = None) -> int:
    """Associate contacts with companies, (contact id, company id) each; existing pairs are left alone.

    Returns how many associations were added. Call inside a transaction.
    """
    actor.ensure_permission("companies.change_company", COMPANIES_REFUSED)
    wanted = set(pairs)
    if not wanted:
        return 0
    present = set(
        CompanyContact.objects.filter(contact_id__in={contact for contact, _ in wanted}).values_list(
            "contact_id", "company_id"
        )
    )
    new = [
        CompanyContact(contact_id=contact, company_id=company, created_at=now or timezone.now())
        for contact, company in sorted(wanted - present)
    ]
    CompanyContact.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
