from django.urls import path

from competition.views import cards, dashboard, home, honours, league, ledger, reports

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
    path("cards/", cards.card_list, name="cards"),
    path("cards/<int:pk>/", cards.card_detail, name="card_detail"),
    path("cards/<int:pk>/rectification/", cards.rectification_submit, name="rectification_submit"),
    path(
        "cards/<int:pk>/rectification/attachment/",
        cards.rectification_attachment,
        name="rectification_attachment",
    ),
    path(
        "cards/<int:pk>/rectification/accept/",
        cards.rectification_accept,
        name="rectification_accept",
    ),
    path(
        "cards/<int:pk>/rectification/return/",
        cards.rectification_return,
        name="rectification_return",
    ),
    path("cards/rectifications/", cards.rectification_queue, name="rectification_queue"),
    path("honours/", honours.honours, name="honours"),
    path(
        "honours/<int:competition_id>/<int:department_id>/",
        honours.honour_basics,
        name="honour_basics",
    ),
    path("ledger/import/", ledger.ledger_import, name="ledger_import"),
    path("ledger/import/confirm/", ledger.ledger_confirm, name="ledger_confirm"),
    path("ledger/template.xlsx", ledger.ledger_template, name="ledger_template"),
    path("ledger/export/<int:competition_id>.xlsx", ledger.ledger_export, name="ledger_export"),
]
