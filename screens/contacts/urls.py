from django.urls import path

from screens.contacts import bulk, index, lists, record

app_name = "contacts"

urlpatterns = [
    path("", index.contact_index, name="index"),
    path("views/", index.saved_view_new, name="saved_view_new"),
    path("views/<int:pk>/", index.saved_view_open, name="saved_view_open"),
    path("views/<int:pk>/rename/", index.saved_view_rename, name="saved_view_rename"),
    path("views/<int:pk>/delete/", index.saved_view_delete, name="saved_view_delete"),
    path("new/", record.record_create, name="create"),
    path("<int:pk>/", record.record, name="record"),
    path("<int:pk>/edit/", record.record_edit, name="edit"),
    path("<int:pk>/marketing-status/", record.record_status, name="record_status"),
    path("lists/", lists.lists, name="lists"),
    path("lists/add/", lists.list_add, name="list_add"),
    path("lists/<int:pk>/", lists.list_detail, name="list_detail"),
    path("lists/<int:pk>/remove/", lists.list_remove, name="list_remove"),
    path("bulk/set-marketing/preview/", bulk.set_marketing_preview, name="bulk_set_marketing_preview"),
    path("bulk/set-marketing/", bulk.set_marketing, name="bulk_set_marketing"),
    path("bulk/set-non-marketing/preview/", bulk.set_non_marketing_preview, name="bulk_set_non_marketing_preview"),
    path("bulk/set-non-marketing/", bulk.set_non_marketing, name="bulk_set_non_marketing"),
    path("bulk/delete/preview/", bulk.delete_preview, name="bulk_delete_preview"),
    path("bulk/delete/", bulk.delete, name="bulk_delete"),
    path("recycle-bin/", bulk.recycle_bin, name="recycle_bin"),
    path("recycle-bin/restore/", bulk.recycle_bin_restore, name="recycle_bin_restore"),
]
