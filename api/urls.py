"""HubSpot's CRM v3 paths for contacts, the marketing-status endpoints (B1), the mobile app and email
extension's intake (R9, `api.views.engagements`), and the schema and docs.

`unknown_path_patterns` answer HubSpot's JSON 404 for any other path under the prefixes that speak
HubSpot's JSON, whatever the method. `crm.urls` routes them last, after the public intake, whose own
paths (`submissions/v3/…`, `forms/v2/…`, `collected-forms/v1/…`, `conversations/v1/…`) share them.
"""

from django.urls import path, re_path

from api.errors import json_not_found
from api.views import batch, contacts, engagements, marketing, schema, search

CONTACTS = "crm/v3/objects/contacts"
MARKETING = "marketing/v3/marketing-contacts"

app_name = "api"
urlpatterns = [
    path(CONTACTS, contacts.ContactCollectionView.as_view(), name="contacts"),
    path(f"{CONTACTS}/batch/read", batch.BatchReadView.as_view(), name="contacts-batch-read"),
    path(f"{CONTACTS}/batch/create", batch.BatchCreateView.as_view(), name="contacts-batch-create"),
    path(f"{CONTACTS}/batch/update", batch.BatchUpdateView.as_view(), name="contacts-batch-update"),
    path(f"{CONTACTS}/batch/upsert", batch.BatchUpsertView.as_view(), name="contacts-batch-upsert"),
    path(f"{CONTACTS}/batch/archive", batch.BatchArchiveView.as_view(), name="contacts-batch-archive"),
    path(f"{CONTACTS}/search", search.ContactSearchView.as_view(), name="contacts-search"),
    path(f"{CONTACTS}/<str:contact_id>", contacts.ContactDetailView.as_view(), name="contact"),
    path(f"{MARKETING}/batch/set-marketing", marketing.SetMarketingView.as_view(), name="set-marketing"),
    path(f"{MARKETING}/batch/set-non-marketing", marketing.SetNonMarketingView.as_view(), name="set-non-marketing"),
    path(f"{MARKETING}/usage", marketing.UsageView.as_view(), name="usage"),
    path("extensions/v1/contacts", engagements.ExtensionContactView.as_view(), name="extension-contacts"),
    *schema.urlpatterns,
]

# `<area>/v<N>/`, as HubSpot versions its APIs. Screens live elsewhere (`/marketing/forms/`, `/forms/<uuid>/`,
# `/conversations/<id>/`), so none of them is shadowed; `/api/` is left out: its docs pages are HTML.
API_PREFIXES = ("crm", "marketing", "extensions", "submissions", "forms", "collected-forms", "conversations")
unknown_path_patterns = [re_path(rf"^(?:{'|'.join(API_PREFIXES)})/v\d+(?:/|$)", json_not_found)]
