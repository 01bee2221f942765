from django.apps import AppConfig


class LeadformsConfig(AppConfig):
    name = "leadforms"
    verbose_name = "Forms"

    def ready(self):
        from capture.sources import register
        from leadforms.selectors import forms_by_source_id
        from marketing_status.policy import CreationTool

        register(CreationTool.HUBSPOT_FORM, forms_by_source_id)
