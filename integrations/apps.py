from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from capture.sources import register, register_status_tools
        from integrations.selectors import integrations_by_source_id, integrations_setting_status
        from marketing_status.policy import CreationTool

        register(CreationTool.INTEGRATION, integrations_by_source_id)
        register_status_tools(integrations_setting_status)
