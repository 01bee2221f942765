from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.users, name="users"),
    path("invite/", views.invite, name="invite"),
    path("<int:user_id>/marketing-access/", views.user_marketing_access, name="user_marketing_access"),
    path("<int:user_id>/billing-contact/", views.user_billing_contact, name="user_billing_contact"),
    path("<int:user_id>/resend-invitation/", views.resend_invitation, name="resend_invitation"),
    path("<int:user_id>/active/", views.user_active, name="user_active"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:group_id>/", views.group_edit, name="group_edit"),
    path("groups/<int:group_id>/delete/", views.group_delete_confirm, name="group_delete"),
    path("groups/<int:group_id>/marketing-access/", views.group_marketing_access, name="group_marketing_access"),
]
