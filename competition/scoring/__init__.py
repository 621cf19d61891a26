"""How a department scores (shared/DOMAIN.md, "The scoring rule"): the rule itself in
`rule`, and what is read off a league in `diagnostics` (三有三不), `explain` (the
formula filled in) and `progress` (cumulative figures for the charts).

The rule's public names are re-exported here: `from competition.scoring import
compute_league`.
"""

from competition.scoring.rule import (
    STAGE_METRIC,
    DepartmentResult,
    League,
    ProjectReceipts,
    TieBreak,
    Window,
    assign_ranks,
    compute_league,
    compute_leagues,
    count_actuals,
    counted_projects,
    counted_receipts,
    counted_statuses,
    counted_visits,
    participants,
    project_figures,
    rank_key,
    receipts_by_project,
    score_department,
    stage_dates_by_project,
    tally_records,
    tie_breaks,
    tie_runs,
    timeline_ratio,
    window_for,
)

__all__ = [
    "STAGE_METRIC",
    "DepartmentResult",
    "League",
    "TieBreak",
    "ProjectReceipts",
    "Window",
    "assign_ranks",
    "compute_league",
    "compute_leagues",
    "count_actuals",
    "counted_projects",
    "counted_receipts",
    "counted_statuses",
    "counted_visits",
    "participants",
    "project_figures",
    "rank_key",
    "receipts_by_project",
    "score_department",
    "stage_dates_by_project",
    "tally_records",
    "tie_breaks",
    "tie_runs",
    "timeline_ratio",
    "window_for",
]
