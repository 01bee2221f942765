from django.apps import AppConfig


class LeadformsConfig(AppConfig):
    name = "leadforms"
    verbose_name = "Forms"

    def ready(self):
        from capture.sources import register, register_status_tools
        from leadforms.selectors import forms_by_source_id, forms_setting_status
        from marketing_status.policy import CreationTool

        register(CreationTool.HUBSPOT_FORM, forms_by_source_id)
        register_status_tools(forms_setting_status)
