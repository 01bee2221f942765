"""API fixtures: integrations with chosen scopes and clients that send their bearer token."""

import pytest
from rest_framework.test import APIClient

from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE
from integrations.services import integration_create
from marketing_status.actors import Actor, ActorKind

ALL = (CONTACTS_READ, CONTACTS_WRITE, MARKETING_WRITE)


class TokenClient(APIClient):
    """An APIClient for one integration; `.integration` and `.token` are at hand for assertions."""

    def __init__(self, integration, token):
        super().__init__()
        self.integration, self.token = integration, token
        self.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def post(self, path, data=None, **kwargs):
        return super().post(path, data, format="json", **kwargs)

    def patch(self, path, data=None, **kwargs):
        return super().patch(path, data, format="json", **kwargs)


@pytest.fixture
def make_client(db):
    """`make_client(scopes=..., marketing_on_create=False)` → a TokenClient for a new integration."""

    def make(*, scopes=(CONTACTS_READ, CONTACTS_WRITE), marketing_on_create=False, name="Test app"):
        integration, token = integration_create(
            name=name,
            scopes=scopes,
            marketing_on_create=marketing_on_create,
            actor=Actor(ActorKind.SYSTEM, "tests"),
        )
        return TokenClient(integration, token)

    return make


@pytest.fixture
def api(make_client, subscription):
    """Read and write contacts, no marketing scope; marketing contacts enabled (R1)."""
    return make_client()


@pytest.fixture
def marketing_api(make_client, subscription):
    """All three scopes, including marketing-contacts.write (R30)."""
    return make_client(scopes=ALL)
