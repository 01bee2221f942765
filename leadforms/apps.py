from django.apps import AppConfig


class LeadformsConfig(AppConfig):
    name = "leadforms"
    verbose_name = "Forms"

    def ready(self):
        from capture.sources import register_status_tools
        from crm.sources import sources_register
        from leadforms.selectors import forms_named, forms_setting_status
        from marketing_status.actors import ActorKind
        from marketing_status.policy import CreationTool, ReasonType

        register_status_tools(forms_setting_status)
        form_types = (
            ReasonType.FORM_SUBMISSION,
            ActorKind.FORM,
            CreationTool.HUBSPOT_FORM,
            CreationTool.NON_HUBSPOT_FORM,
        )
        sources_register(noun="form", types=form_types, resolver=forms_named)
