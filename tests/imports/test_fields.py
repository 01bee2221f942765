"""How columns are guessed and cells checked: the fast email check agrees with Django's validate_email."""

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from imports.fields import COMPANY_TARGETS, CONTACT_TARGETS, ChunkParser, email_is_valid, guess_mapping
from imports.reader import RawRow

EMAILS = [
    "ada@example.com",
    "a.b-c+tag@sub.example.co.uk",
    "x@localhost",
    "user@[127.0.0.1]",
    "user@[IPv6:::1]",
    "user@[999.1.1.1]",
    '"quoted user"@example.com',
    "ünï@example.com",
    "user@exämple.com",
    "user@xn--exmple-cua.com",
    "user@example",
    "user@-example.com",
    "user@example-.com",
    "user@example.c",
    "user@example.123",
    "user@example..com",
    ".user@example.com",
    "user.@example.com",
    "us..er@example.com",
    "user@@example.com",
    "user@exa mple.com",
    "user",
    "@example.com",
    "user@",
    "user@example.com.",
    "a" * 64 + "@example.com",
    "a@" + "b" * 63 + ".com",
    "a@" + "b" * 64 + ".com",
    "a@" + ".".join(["b" * 60] * 6) + ".com",
    "user@sub_domain.example.com",
    "user!#$%&'*/=?^`{|}~@example.com",
]


def _django_accepts(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("email", EMAILS)
def test_the_fast_email_check_agrees_with_django(email):
    assert email_is_valid(email) is _django_accepts(email)


def test_hubspot_headers_are_guessed():
    headers = ["Email", "First Name", "Last Name", "Company Name", "Phone Number", "Lifecycle Stage", "Notes"]

    assert guess_mapping(headers, allowed=CONTACT_TARGETS) == [
        "contact.email",
        "contact.first_name",
        "contact.last_name",
        "contact.company",
        "contact.phone",
        "contact.lifecycle_stage",
        "",
    ]


def test_company_columns_are_the_companys_in_multi_object_files_and_each_target_is_guessed_once():
    headers = ["E-mail", "Company name", "Website URL", "Email Address"]

    assert guess_mapping(headers, allowed=COMPANY_TARGETS + CONTACT_TARGETS) == [
        "contact.email",
        "company.name",
        "company.domain",
        "",
    ]
    assert guess_mapping(["Name", "Domain"], allowed=COMPANY_TARGETS, companies_file=True) == [
        "company.name",
        "company.domain",
    ]


def test_the_parser_reports_every_problem_of_a_row_in_column_order():
    parser = ChunkParser(
        headers=["Email", "Stage", "First"],
        mapping=["contact.email", "contact.lifecycle_stage", "contact.first_name"],
        object_type="contacts",
    )
    parsed, problems = parser.parse(
        [RawRow(2, ["bad", "nope", "x" * 101]), RawRow(3, [" OK@Example.com ", "Lead", ""]), RawRow(4, ["", "", " "])]
    )

    assert [tuple(problem) for problem in problems] == [
        (
            2,
            "Email: 'bad' is not a valid email address. Lifecycle Stage: 'nope' is not one of the allowed values. "
            "First Name: longer than 100 characters.",
            ["bad", "nope", "x" * 101],
        )
    ]
    assert [(row.row_number, row.contact) for row in parsed] == [
        (3, ("ok@example.com", None, None, None, None, "lead", None, None))
    ]  # row 4 is blank: skipped
