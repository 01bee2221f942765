from django.urls import path

from billing import views
from marketing_status import wizard

app_name = "billing"

urlpatterns = [
    path("usage/", views.usage, name="usage"),
    path("usage/tier-guard/", views.tier_guard, name="tier_guard"),
    path("usage/manage/", wizard.manage, name="manage"),
    path("subscription/", views.subscription, name="subscription"),
    path("subscription/enable/", views.marketing_contacts_enable_view, name="enable"),
]
