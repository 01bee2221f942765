from django.urls import path

from screens import wizard
from screens.billing import views

app_name = "billing"

urlpatterns = [
    path("usage/", views.usage, name="usage"),
    path("usage/tier-guard/", views.tier_guard, name="tier_guard"),
    path("usage/manage/", wizard.manage, name="manage"),
    path("subscription/", views.subscription, name="subscription"),
    path("subscription/enable/", views.marketing_contacts_enable_view, name="enable"),
]
