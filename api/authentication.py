"""Bearer-token authentication of integrations (HubSpot's private apps)."""

from dataclasses import dataclass

from rest_framework import authentication, exceptions

from integrations.models import Integration
from integrations.selectors import integration_for_token
from integrations.services import integration_touch
from marketing_status.actors import Actor


@dataclass(frozen=True)
class IntegrationPrincipal:
    """`request.user` for an API request: the integration behind the token, not a person."""

    integration: Integration
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    pk = None

    @property
    def actor(self) -> Actor:
        return Actor.for_integration(self.integration.pk, scopes=self.integration.scope_set)

    def __str__(self) -> str:
        return f"integration {self.integration.pk} ({self.integration.name})"


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; a missing header is 401 (via `authenticate_header`), a bad one too."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Bearer <token>'.")
        integration = integration_for_token(header[1])
        if integration is None:
            raise exceptions.AuthenticationFailed(
                "Authentication credentials not found or revoked. This API supports private app tokens "
                "sent as 'Authorization: Bearer <token>'."
            )
        integration_touch(integration=integration)
        return IntegrationPrincipal(integration), integration

    def authenticate_header(self, request) -> str:
        return self.keyword
