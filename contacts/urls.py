from django.urls import path

from contacts import bulk_views, list_views, record_views, views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_index, name="index"),
    path("views/", views.saved_view_new, name="saved_view_new"),
    path("views/<int:pk>/", views.saved_view_open, name="saved_view_open"),
    path("views/<int:pk>/rename/", views.saved_view_rename, name="saved_view_rename"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("new/", record_views.record_create, name="create"),
    path("<int:pk>/", record_views.record, name="record"),
    path("<int:pk>/edit/", record_views.record_edit, name="edit"),
    path("<int:pk>/marketing-status/", record_views.record_status, name="record_status"),
    path("lists/", list_views.lists, name="lists"),
    path("lists/add/", list_views.list_add, name="list_add"),
    path("lists/<int:pk>/", list_views.list_detail, name="list_detail"),
    path("lists/<int:pk>/remove/", list_views.list_remove, name="list_remove"),
    path("bulk/set-marketing/preview/", bulk_views.set_marketing_preview, name="bulk_set_marketing_preview"),
    path("bulk/set-marketing/", bulk_views.set_marketing, name="bulk_set_marketing"),
    path(
        "bulk/set-non-marketing/preview/", bulk_views.set_non_marketing_preview, name="bulk_set_non_marketing_preview"
    ),
    path("bulk/set-non-marketing/", bulk_views.set_non_marketing, name="bulk_set_non_marketing"),
    path("bulk/delete/preview/", bulk_views.delete_preview, name="bulk_delete_preview"),
    path("bulk/delete/", bulk_views.delete, name="bulk_delete"),
    path("recycle-bin/", bulk_views.recycle_bin, name="recycle_bin"),
    path("recycle-bin/restore/", bulk_views.recycle_bin_restore, name="recycle_bin_restore"),
]
