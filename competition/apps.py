from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "competition"
    verbose_name = _("竞赛与排名")

    def ready(self):
        from competition import receivers  # noqa: F401  (connects the signal receivers)
