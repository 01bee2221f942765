from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.users, name="users"),
    path("<int:user_id>/marketing-access/", views.user_marketing_access, name="user_marketing_access"),
    path("<int:user_id>/billing-contact/", views.user_billing_contact, name="user_billing_contact"),
    path("groups/<int:group_id>/marketing-access/", views.group_marketing_access, name="group_marketing_access"),
]
