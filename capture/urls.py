from django.urls import path

from capture import views

app_name = "capture"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("non-hubspot-forms/", views.non_hubspot_forms_setting, name="non_hubspot_forms_setting"),
]
