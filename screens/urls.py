"""The home page (Usage & limits' summary), named `home` outside any namespace; `crm.urls` includes it."""

from django.urls import path

from screens.billing import views as billing_views

urlpatterns = [
    path("", billing_views.home, name="home"),
]
