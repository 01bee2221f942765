from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """Contact-based workflows (R18, R19). The models and screens arrive with the workflows issue."""

    name = "workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from capture.sources import register_status_tools
        from crm.sources import sources_register
        from marketing_status.actors import ActorKind
        from marketing_status.policy import ReasonType
        from workflows.selectors import workflows_named, workflows_setting_status

        register_status_tools(workflows_setting_status)
        sources_register(noun="workflow", types=(ReasonType.WORKFLOW, ActorKind.WORKFLOW), resolver=workflows_named)
