"""Companies as multi-object and multi-file imports write them (R4, R9): normalised unique domains, set-based
upserts keyed by domain or name, and associations added once."""

import pytest
from django.db import IntegrityError

from companies.models import Company, CompanyContact
from companies.services import CompanyData, companies_upsert, contacts_companies_associate, normalize_domain
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from tests.factories import contacts_make

IMPORT = Actor(ActorKind.IMPORT, "1")


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("example.com", "example.com"),
        ("  https://www.Example.com/about?x=1 ", "example.com"),
        ("http://shop.example.co.uk:8080", "shop.example.co.uk"),
        ("EXAMPLE.COM.", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("", None),
        (None, None),
    ],
)
def test_domains_are_normalised(value, domain):
    assert normalize_domain(value) == domain


@pytest.mark.parametrize("value", ["not a domain", "localhost", "-bad.example", "exa_mple.com", "a" * 64 + ".com"])
def test_values_that_are_not_domains_are_refused(value):
    with pytest.raises(ValueError, match="is not a domain name"):
        normalize_domain(value)


@pytest.mark.django_db
def test_upsert_creates_updates_and_dedupes_by_domain_then_name():
    old = Company.objects.create(name="Old name", domain="acme.example")
    named = Company.objects.create(name="Initech")

    result = companies_upsert(
        rows=[
            CompanyData(name="Acme", domain="acme.example"),
            CompanyData(name=None, domain="acme.example"),  # a blank name leaves the given one
            CompanyData(name="INITECH"),
            CompanyData(name="Globex", domain="globex.example"),
            CompanyData(name="Globex"),  # a company known by name only is not the one with a domain
        ],
        actor=IMPORT,
    )

    assert (result.created, result.updated) == (2, 1)
    old.refresh_from_db()
    assert old.name == "Acme"
    assert result.ids[("domain", "acme.example")] == old.pk
    assert result.ids[("name", "initech")] == named.pk
    assert Company.objects.get(pk=named.pk).name == "Initech"  # the name identifies it; not rewritten
    assert sorted(Company.objects.values_list("name", "domain"), key=str) == [
        ("Acme", "acme.example"),
        ("Globex", "globex.example"),
        ("Globex", None),
        ("Initech", None),
    ]


@pytest.mark.django_db
def test_a_domain_belongs_to_one_company():
    Company.objects.create(name="A", domain="acme.example")

    with pytest.raises(IntegrityError):
        Company.objects.create(name="B", domain="acme.example")


@pytest.mark.django_db
def test_associations_are_added_once(subscription, marketer_actor):
    first, second = contacts_make(count=2, actor=marketer_actor)
    company = Company.objects.create(name="Acme", domain="acme.example")

    assert contacts_companies_associate(pairs=[(first.pk, company.pk), (second.pk, company.pk)], actor=IMPORT) == 2
    assert contacts_companies_associate(pairs=[(first.pk, company.pk)], actor=IMPORT) == 0
    assert set(CompanyContact.objects.values_list("contact_id", flat=True)) == {first.pk, second.pk}
    assert list(first.companies.all()) == [company]


@pytest.mark.django_db
def test_people_need_the_company_permissions(sales_user):
    with pytest.raises(MarketingStatusPermissionDenied):
        companies_upsert(rows=[CompanyData(name="Acme")], actor=Actor.for_user(sales_user))

    assert not Company.objects.exists()
