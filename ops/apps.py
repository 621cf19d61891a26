from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: the backup and restore commands (no models)."""

    name = "ops"
    verbose_name = "运维"
