"""What a column can be imported into, how a header is guessed, and how a row's cells are checked.

A column maps to a contact property (`contacts.services.EDITABLE_FIELDS`), a company property
(name, domain) or nothing. `ChunkParser` turns the rows of a file into the values to write, or into
the reasons they cannot be imported; every row of every import passes through it, so it is written
for speed: the mapping is compiled once, the cells are checked a column at a time, and emails by one
precompiled expression (`email_is_valid`) that agrees with Django's `validate_email`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from companies.services import NAME_MAX_LENGTH, CompanyData, normalize_domain
from contacts.models import Contact, EmailSubscription, LifecycleStage

CONTACT = "contact"
COMPANY = "company"
DO_NOT_IMPORT = ""

# The columns of a parsed contact row, in this order (contacts.services.EDITABLE_FIELDS).
CONTACT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "lifecycle_stage",
    "email_subscription",
    "email_hard_bounced",
)
EMAIL_MAX_LENGTH = Contact._meta.get_field("email").max_length


@dataclass(frozen=True)
class Target:
    """A property a column can be imported into."""

    key: str  # "contact.email", "company.domain"
    label: str  # HubSpot's property label
    synonyms: tuple[str, ...]  # normalised headers that guess it

    @property
    def object(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.key.split(".", 1)[1]


CONTACT_TARGETS = (
    Target("contact.email", "Email", ("email", "emailaddress", "mail", "email1")),
    Target("contact.first_name", "First Name", ("firstname", "first", "givenname", "forename")),
    Target("contact.last_name", "Last Name", ("lastname", "last", "surname", "familyname")),
    Target("contact.company", "Company Name", ("company", "companyname", "organization", "organisation")),
    Target("contact.phone", "Phone Number", ("phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone")),
    Target("contact.lifecycle_stage", "Lifecycle Stage", ("lifecyclestage", "lifecycle", "stage")),
    Target(
        "contact.email_subscription",
        "Email subscription status",
        ("emailsubscription", "emailsubscriptionstatus", "subscription", "subscriptionstatus"),
    ),
    Target("contact.email_hard_bounced", "Email hard bounced", ("emailhardbounced", "hardbounced", "bounced")),
)
COMPANY_TARGETS = (
    Target("company.name", "Company name", ("companyname", "company", "organization", "organisation")),
    Target(
        "company.domain",
        "Company Domain Name",
        ("companydomainname", "companydomain", "domain", "domainname", "website", "websiteurl", "url"),
    ),
)
TARGETS = {target.key: target for target in CONTACT_TARGETS + COMPANY_TARGETS}

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _choice_lookup(choices) -> dict[str, str]:
    """Each allowed value, by its value and by its label, case-insensitively."""
    lookup = {}
    for value, label in choices.choices:
        lookup[value.lower()] = value
        lookup[str(label).lower()] = value
    return lookup


CHOICES = {
    "lifecycle_stage": _choice_lookup(LifecycleStage),
    "email_subscription": _choice_lookup(EmailSubscription),
}
MAX_LENGTHS = {
    name: Contact._meta.get_field(name).max_length for name in ("first_name", "last_name", "company", "phone")
}


def normalized_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def guess_mapping(headers: Sequence[str], *, allowed: Sequence[Target], companies_file: bool = False) -> list[str]:
    """Guess each column's target from its header (HubSpot labels and common spellings); one column per target.

    `allowed` is in order of preference. A bare "Name" is a company's name only in a file of companies.
    """
    taken: set[str] = set()
    mapping = []
    for header in headers:
        key = normalized_header(header)
        if companies_file and key == "name":
            key = "companyname"
        guess = DO_NOT_IMPORT
        for target in allowed:
            if target.key not in taken and (key in target.synonyms or key == normalized_header(target.label)):
                guess = target.key
                break
        if guess:
            taken.add(guess)
        mapping.append(guess)
    return mapping


# --- Emails ---------------------------------------------------------------------------------------

# A strict subset of what Django's EmailValidator accepts, lower-case ASCII only: a dot-atom local part
# (which cannot hold "@", so the split is Django's rsplit), then Django's hostname, domain and TLD
# patterns without their Unicode ranges. What it rejects goes to validate_email itself, so the two agree
# on every value; only the common case is fast.
_FAST_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*"
    r"\.(?!-)(?:[a-z-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)"
)
_fast_email_match = _FAST_EMAIL.fullmatch


def email_is_valid(email: str) -> bool:
    """Django's `validate_email`, answered by one precompiled expression for ordinary addresses."""
    if len(email) <= 320 and _fast_email_match(email):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


# --- Rows -----------------------------------------------------------------------------------------


class ParsedRow(NamedTuple):
    row_number: int
    contact: tuple | None  # CONTACT_FIELDS values; None: not mapped, or blank (leaves a stored value alone)
    company: CompanyData | None


class RowProblem(NamedTuple):
    row_number: int
    reason: str
    cells: list[str]


class ChunkParser:
    """Checks and converts the rows of one file under its mapping, a chunk of rows at a time.

    `parse(rows)` takes `reader.RawRow`s and returns the rows to import (`ParsedRow`) and those that
    cannot be (`RowProblem`, with every reason, in column order). Blank cells mean "no
    value": they never overwrite a stored one. Rows whose cells are all blank are skipped.

    It works column by column (one list comprehension per mapped column and check), which in Python
    is several times faster than checking row by row; a file of a million rows is parsed in seconds.
    """

    def __init__(self, *, headers: Sequence[str], mapping: Sequence[str], object_type: str):
        self.width = len(headers)
        self.has_contact = object_type == "contacts"
        self.contact_columns: list[tuple[int, Target]] = []
        self.company_name: int | None = None
        self.company_domain: int | None = None
        for column, key in enumerate(mapping):
            if not key:
                continue
            target = TARGETS[key]
            if target.object == CONTACT:
                self.contact_columns.append((column, target))
            elif target.field == "name":
                self.company_name = column
            else:
                self.company_domain = column

    def parse(self, rows: Sequence) -> tuple[list[ParsedRow], list[RowProblem]]:
        width = self.width
        problems: dict[int, list[str]] = {}
        readable, skipped = [], []
        for row in rows:
            cells = row.cells
            if row.problem:
                skipped.append(RowProblem(row.row_number, row.problem, cells))
            elif len(cells) != width:
                if cells and "".join(cells).strip():
                    reason = f"The row has {len(cells)} columns; the header has {width}."
                    skipped.append(RowProblem(row.row_number, reason, cells))
            elif "".join(cells).strip():
                readable.append(row)
        contacts = self._contacts(readable, problems) if self.has_contact else None
        companies = self._companies(readable, problems)
        parsed = []
        for index, row in enumerate(readable):
            if index in problems:
                skipped.append(RowProblem(row.row_number, " ".join(problems[index]), row.cells))
            else:
                parsed.append(
                    ParsedRow(
                        row.row_number,
                        None if contacts is None else contacts[index],
                        None if companies is None else companies[index],
                    )
                )
        skipped.sort()
        return parsed, skipped

    def _contacts(self, rows: list, problems: dict[int, list[str]]) -> list[tuple]:
        columns: list = [[None] * len(rows) for _ in CONTACT_FIELDS]
        for column, target in self.contact_columns:
            values = [row.cells[column].strip() for row in rows]
            check = getattr(self, f"_check_{target.field}", None) or self._check_text
            columns[CONTACT_FIELDS.index(target.field)] = check(values, target, problems)
        return list(zip(*columns, strict=True))

    @staticmethod
    def _problem(problems: dict[int, list[str]], index: int, message: str) -> None:
        problems.setdefault(index, []).append(message)

    def _check_email(self, values: list[str], target: Target, problems) -> list:
        emails = [value.lower() for value in values]
        fast = _fast_email_match
        for index in [i for i, email in enumerate(emails) if email and not fast(email)]:
            email = emails[index]
            if len(email) > EMAIL_MAX_LENGTH:
                self._problem(problems, index, f"{target.label}: longer than {EMAIL_MAX_LENGTH} characters.")
            elif not email_is_valid(email):
                self._problem(problems, index, f"{target.label}: {email!r} is not a valid email address.")
        if max(map(len, emails), default=0) > EMAIL_MAX_LENGTH:
            for index in [i for i, email in enumerate(emails) if len(email) > EMAIL_MAX_LENGTH]:
                if index not in problems:
                    self._problem(problems, index, f"{target.label}: longer than {EMAIL_MAX_LENGTH} characters.")
        return [email or None for email in emails]

    def _check_text(self, values: list[str], target: Target, problems) -> list:
        limit = MAX_LENGTHS[target.field]
        if max(map(len, values), default=0) > limit:
            for index in [i for i, value in enumerate(values) if len(value) > limit]:
                self._problem(problems, index, f"{target.label}: longer than {limit} characters.")
        return [value or None for value in values]

    def _check_choice(self, values: list[str], target: Target, problems) -> list:
        lookup = CHOICES[target.field]
        converted = [lookup.get(value.lower()) if value else None for value in values]
        for index in [i for i, value in enumerate(converted) if value is None and values[i]]:
            self._problem(problems, index, f"{target.label}: {values[index]!r} is not one of the allowed values.")
        return converted

    _check_lifecycle_stage = _check_choice
    _check_email_subscription = _check_choice

    def _check_email_hard_bounced(self, values: list[str], target: Target, problems) -> list:
        converted = [True if v.lower() in _TRUE else False if v.lower() in _FALSE else None for v in values]
        for index in [i for i, value in enumerate(converted) if value is None and values[i]]:
            self._problem(problems, index, f"{target.label}: {values[index]!r} is not true or false.")
        return converted

    def _companies(self, rows: list, problems: dict[int, list[str]]) -> list[CompanyData | None] | None:
        if self.company_name is None and self.company_domain is None:
            return None
        companies = []
        for index, row in enumerate(rows):
            name = row.cells[self.company_name].strip() if self.company_name is not None else ""
            domain = None
            if len(name) > NAME_MAX_LENGTH:
                self._problem(problems, index, f"Company name: longer than {NAME_MAX_LENGTH} characters.")
            if self.company_domain is not None:
                try:
                    domain = normalize_domain(row.cells[self.company_domain])
                except ValueError as error:
                    self._problem(problems, index, f"Company Domain Name: {error}")
            if not self.has_contact and not name and not domain and index not in problems:
                self._problem(problems, index, "A company needs a name or a domain.")
            companies.append(CompanyData(name=name or None, domain=domain) if name or domain else None)
        return companies
