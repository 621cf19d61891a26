from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "competition"
    verbose_name = _("竞赛与排名")

    def ready(self):
        from competition.subscriber import on_records_changed
        from departments.changes import records_changed

        records_changed.connect(on_records_changed, dispatch_uid="competition.subscriber")
