from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from capture.sources import register_status_tools
        from crm.sources import sources_register
        from integrations.selectors import integrations_by_source_id, integrations_setting_status
        from marketing_status.actors import ActorKind
        from marketing_status.policy import CreationTool, ReasonType

        register_status_tools(integrations_setting_status)
        integration_types = (ReasonType.INTEGRATOR_SET, ActorKind.INTEGRATION, CreationTool.INTEGRATION)
        sources_register(noun="integration", types=integration_types, resolver=integrations_by_source_id)
