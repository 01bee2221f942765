from django.urls import path

from workflows import views

app_name = "workflows"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/switch-on/", views.switch_on, name="switch_on"),
    path("<int:pk>/switch-off/", views.switch_off, name="switch_off"),
    path("<int:pk>/history/", views.history, name="history"),
]
