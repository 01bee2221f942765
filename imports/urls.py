from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="index"),
    path("new/", views.import_new, name="new"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/map/", views.import_map, name="map"),
    path("<int:pk>/cancel/", views.import_cancel, name="cancel"),
    path("<int:pk>/status/", views.import_status, name="status"),
    path("<int:pk>/errors/<int:position>.csv", views.import_errors_csv, name="errors"),
]
