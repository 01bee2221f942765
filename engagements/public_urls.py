"""Public paths of engagements: `meetings/<slug>`, the booking page (its POST is wrapped by
`capture.public.public_endpoint`). The extension's `extensions/v1/contacts` is part of the REST API
(`api.urls`), since it needs a bearer token or a signed-in session (`api.views.engagements`)."""

from django.urls import path

from engagements import public_views

app_name = "engagements_public"

urlpatterns = [
    path("meetings/<slug:slug>", public_views.booking, name="booking"),
]
