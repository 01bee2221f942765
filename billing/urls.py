from django.urls import path

from billing import views
from marketing_status import wizard

app_name = "billing"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("tier-guard/", views.tier_guard, name="tier_guard"),
    path("manage/", wizard.manage, name="manage"),
]
