from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo account (`manage.py seed_demo`): a year of history written through every app's services, each
    given the date it replays (`now=`). The topmost layer: it calls every app below and nothing imports it."""

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
