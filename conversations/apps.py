from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self):
        from capture.sources import register_status_tools
        from conversations.selectors import chatflows_by_source_id, chatflows_setting_status
        from crm.sources import sources_register
        from marketing_status.actors import ActorKind
        from marketing_status.policy import CreationTool, ReasonType

        register_status_tools(chatflows_setting_status)
        chatflow_types = (ReasonType.CONVERSATION, ActorKind.CHATFLOW, CreationTool.CHATFLOW)
        sources_register(noun="chatflow", types=chatflow_types, resolver=chatflows_by_source_id)
