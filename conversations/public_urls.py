"""Public (unauthenticated) endpoints of conversations; each view is wrapped by capture.public.public_endpoint."""

from django.urls import path

from conversations import public_views

app_name = "conversations_public"

urlpatterns = [
    path("conversations/v1/widget.js", public_views.widget_js, name="widget_js"),
    path("conversations/v1/chatflows/<str:public_id>/conversations", public_views.start, name="start"),
    path("conversations/v1/conversations/<str:token>/messages", public_views.messages, name="messages"),
]
