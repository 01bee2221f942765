"""R30 through integrations: an integration whose "Create contacts as marketing contacts" setting is on (R8), or
whose token holds the marketing-contacts.write scope, sets the status of the contacts its API calls create, so
only a person with Marketing contact access creates one like that or switches the setting on. Anyone with the
integration permissions creates the plain kind, whose contacts stay non-marketing. Refusals change nothing."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.models import Contact
from integrations.models import Integration
from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.selectors import integration_marketing_on_create
from tests.capture.helpers import rule_ids_shown
from tests.integrations.test_views import api_client, shown_token, state

pytestmark = pytest.mark.django_db
NEW = reverse("integrations:new")
INTEGRATION_PERMISSIONS = ("view_integration", "add_integration", "change_integration")
API_CONTACTS = "/crm/v3/objects/contacts"


def _may_integrate(user):
    user.user_permissions.add(*Permission.objects.filter(codename__in=INTEGRATION_PERMISSIONS))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def sales_admin(sales_user):
    """The `sales_user` (no Marketing contact access) with the integration permissions."""
    return _may_integrate(sales_user)


@pytest.fixture
def marketing_admin(marketer):
    return _may_integrate(marketer)


def _create(client, **changes):
    data = {"name": "Shop sync", "scopes": [CONTACTS_READ, CONTACTS_WRITE], **changes}
    return client.post(NEW, data)


def _api_contact(token: str, email: str) -> Contact:
    response = api_client(token).post(API_CONTACTS, {"properties": {"email": email}}, format="json")
    assert response.status_code == 201, response.content
    return Contact.objects.get(email=email)


@pytest.mark.parametrize(
    "changes",
    [{"marketing_on_create": "on"}, {"scopes": [CONTACTS_WRITE, MARKETING_WRITE]}],
    ids=["setting-on", "marketing-scope"],
)
def test_r30_integration_created_without_access_with_marketing_is_refused_and_creates_nothing(
    client, subscription, sales_admin, db_state, changes
):
    client.force_login(sales_admin)
    before = db_state()
    assert _create(client, **changes).status_code == 403
    assert state() == ([], [], [])
    assert db_state() == before


def test_r30_integration_created_without_access_creates_non_marketing_contacts(
    client, subscription, sales_admin, db_state
):
    client.force_login(sales_admin)
    response = _create(client)
    assert response.status_code == 201
    integration = Integration.objects.get()
    assert integration_marketing_on_create(integration=integration) is False
    token = shown_token(response.content.decode())
    before = state()
    toggled = client.post(reverse("integrations:marketing_on_create", args=[integration.pk]), {"value": "1"})
    assert toggled.status_code == 403
    assert "Marketing contact access" in toggled.content.decode()
    assert state() == before
    contact = _api_contact(token, "lead@example.com")
    assert (contact.marketable_status, contact.marketable_reason_type) == (False, "INTEGRATOR_SET")


def test_r30_integration_created_with_access_creates_marketing_contacts(client, subscription, marketing_admin):
    client.force_login(marketing_admin)
    response = _create(client, marketing_on_create="on")
    assert response.status_code == 201
    integration = Integration.objects.get()
    contact = _api_contact(shown_token(response.content.decode()), "lead@example.com")
    assert (contact.marketable_status, contact.marketable_reason_id) == (True, str(integration.pk))


def test_r30_a_marketer_switches_on_an_integration_a_sales_user_created(
    client, subscription, sales_admin, marketing_admin
):
    client.force_login(sales_admin)
    token = shown_token(_create(client).content.decode())
    integration = Integration.objects.get()
    client.force_login(marketing_admin)
    assert (
        client.post(reverse("integrations:marketing_on_create", args=[integration.pk]), {"value": "1"}).status_code
        == 302
    )
    assert _api_contact(token, "lead@example.com").marketable_status is True


def test_r30_the_scope_shown_on_screens_names_no_rule(client, subscription, marketing_admin):
    client.force_login(marketing_admin)
    page = client.get(NEW).content.decode()
    assert "Change marketing contact status" in page and rule_ids_shown(page) == []
