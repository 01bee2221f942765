"""Public (unauthenticated) endpoints of leadforms; each view is wrapped by capture.public.public_endpoint."""

from django.urls import path

from leadforms import public_views

app_name = "leadforms_public"

urlpatterns = [
    path(
        "submissions/v3/integration/submit/<str:portal_id>/<str:guid>",
        public_views.submit,
        name="submit",
    ),
    path("forms/v2/definition/<str:portal_id>/<str:guid>", public_views.definition, name="definition"),
    path("forms/embed/v2.js", public_views.embed_script, name="embed_script"),
    path("forms/<uuid:guid>/", public_views.hosted_form, name="hosted_form"),
    path("collected-forms/v1/collector.js", public_views.collector_script, name="collector_script"),
    path("collected-forms/v1/submit/<str:portal_id>", public_views.collected_submit, name="collected_submit"),
]
