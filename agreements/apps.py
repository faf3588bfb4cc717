from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self):
        from diplomacy import checks  # noqa: F401 (registers the project's system checks)
