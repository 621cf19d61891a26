from django.urls import path

from competition.views import dashboard, home, league, ledger, reports

urlpatterns = [
    path("", home.home, name="home"),
    path("league/", league.league, name="league"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("league/<int:competition_id>/<int:department_id>/", league.explain, name="league_explain"),
    path(
        "league/<int:competition_id>/<int:department_id>/records/<str:metric>/",
        league.counted_records,
        name="league_records",
    ),
    path("reports/", reports.reports, name="reports"),
    path("reports/<uuid:report_id>/status/", reports.report_status, name="report_status"),
    path("reports/<uuid:report_id>/pdf/", reports.report_download, name="report_download"),
    path("reports/<uuid:report_id>/rebuild/", reports.report_rebuild, name="report_rebuild"),
    path("reports/<uuid:report_id>/number/", reports.report_number, name="report_number"),
    path("ledger/import/", ledger.ledger_import, name="ledger_import"),
    path("ledger/import/confirm/", ledger.ledger_confirm, name="ledger_confirm"),
    path("ledger/template.xlsx", ledger.ledger_template, name="ledger_template"),
    path("ledger/export/<int:competition_id>.xlsx", ledger.ledger_export, name="ledger_export"),
]
