from django.urls import path

from competition.views import dashboard, home, league

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
]
