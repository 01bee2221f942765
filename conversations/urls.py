from django.urls import path

from conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/marketing-setting/", views.marketing_setting, name="marketing_setting"),
    path("<int:pk>/conversations/", views.conversations, name="conversations"),
    path("<int:chatflow_pk>/conversations/<int:pk>/", views.conversation, name="conversation"),
    path("<int:chatflow_pk>/conversations/<int:pk>/reply/", views.reply, name="reply"),
]
