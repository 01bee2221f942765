from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self):
        from capture.sources import register, register_status_tools
        from conversations.selectors import chatflows_by_source_id, chatflows_setting_status
        from marketing_status.policy import CreationTool

        register(CreationTool.CHATFLOW, chatflows_by_source_id)
        register_status_tools(chatflows_setting_status)
