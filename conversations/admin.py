from django.contrib import admin

from conversations.models import Chatflow, Conversation, Message
from crm.admin import ReadOnlyAdmin


@admin.register(Chatflow)
class ChatflowAdmin(ReadOnlyAdmin):
    """Chatflows are created and edited on Conversations > Chatflows, through the services; here they are shown."""

    list_display = ("name", "public_id", "is_enabled", "created_by", "created_at", "updated_at")
    list_filter = ("is_enabled",)
    search_fields = ("name", "public_id")


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    """Conversations are written by the widget and agents' replies; the token hash is never displayed."""

    list_display = ("pk", "chatflow", "email", "contact", "started_at", "last_message_at", "last_seq")
    list_select_related = ("chatflow", "contact")
    list_filter = ("chatflow",)
    search_fields = ("email",)
    fields = ("chatflow", "email", "contact", "started_at", "last_message_at", "last_seq")
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("conversation_id", "seq", "sender", "author", "at")
    list_select_related = ("author",)
    list_filter = ("sender",)
