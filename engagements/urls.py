"""Admin pages under /sales/: meetings links, bookings, tickets, and "Log email" on a contact record."""

from django.urls import path

from engagements import views

app_name = "engagements"

urlpatterns = [
    path("", views.index, name="index"),
    path("meetings/new/", views.meeting_link_new, name="link_new"),
    path("meetings/<int:pk>/", views.meeting_link_edit, name="link_edit"),
    path("meetings/bookings/", views.bookings, name="bookings"),
    path("tickets/", views.tickets, name="tickets"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("contacts/<int:pk>/log-email/", views.log_email, name="log_email"),
]
