"""The one public page of accounts: an invited user chooses a first password (the link is the credential)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
]
