from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self):
        from capture.sources import register
        from conversations.selectors import chatflows_by_source_id
        from marketing_status.policy import CreationTool

        register(CreationTool.CHATFLOW, chatflows_by_source_id)
