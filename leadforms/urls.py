from django.urls import path

from leadforms import views

app_name = "leadforms"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<uuid:guid>/edit/", views.edit, name="edit"),
    path("<uuid:guid>/marketing-setting/", views.marketing_setting, name="marketing_setting"),
    path("<uuid:guid>/embed/", views.embed, name="embed"),
    path("<uuid:guid>/submissions/", views.submissions, name="submissions"),
    path("non-hubspot/<uuid:guid>/", views.external_submissions, name="external_submissions"),
]
