from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
    path("<int:pk>/marketing-on-create/", views.marketing_on_create, name="marketing_on_create"),
]
