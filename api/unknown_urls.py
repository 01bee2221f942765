"""HubSpot's JSON 404 for any other path under the API prefixes (`api.urls.unknown_path_patterns`), as a URLconf
that `crm.urls` includes by name, last: the root URLconf composes the apps without importing them."""

from api.urls import unknown_path_patterns

urlpatterns = unknown_path_patterns
