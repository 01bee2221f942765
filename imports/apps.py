from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self):
        from crm.sources import sources_register
        from imports.selectors import imports_named
        from marketing_status.actors import ActorKind
        from marketing_status.policy import CreationTool, ReasonType

        import_types = (ReasonType.CONTACT_IMPORT, ActorKind.IMPORT, CreationTool.IMPORT, CreationTool.MULTI_IMPORT)
        sources_register(noun="import", types=import_types, resolver=imports_named)
