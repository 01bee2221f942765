from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import TemplateView


def health(request):
    return HttpResponse("ok", content_type="text/plain")


def placeholder(title: str, section: str):
    return login_required(
        TemplateView.as_view(template_name="placeholder.html", extra_context={"title": title, "section": section})
    )


urlpatterns = [
    path("", include("screens.urls")),  # home
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("contacts/", include("screens.contacts.urls")),
    path("jobs/", include("jobs.urls")),
    path("settings/users/", include("accounts.urls")),
    path("account/", include("screens.billing.urls")),
    path("marketing/forms/", include("leadforms.urls")),
    path("marketing/emails/", placeholder("Marketing email", "marketing"), name="emails"),
    path("conversations/", include("conversations.urls")),
    path("contacts-imports/", include("imports.urls")),
    path("sales/", include("engagements.urls")),
    path("automation/workflows/", include("workflows.urls")),
    path("settings/integrations/", include("integrations.urls")),
    path("settings/lead-capture/", include("capture.urls")),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
    # Public intake: the only endpoints without authentication (capture.public.public_endpoint).
    path("", include("leadforms.public_urls")),
    path("", include("conversations.public_urls")),
    path("", include("engagements.public_urls")),
    path("invitation/", include("accounts.public_urls")),  # an invited user sets a first password
    path("healthz", health, name="health"),
    # Last: any other path under the API prefixes is HubSpot's JSON 404, for every method.
    path("", include("api.unknown_urls")),
]

# Refusals, missing pages and unreadable requests answer inside the normal page, with the navigation.
handler400 = "crm.refusals.bad_request"
handler403 = "crm.refusals.permission_denied"
handler404 = "crm.refusals.page_not_found"
