"""Apply a ledger workbook to the database: one competition, all or nothing.

Records are matched by natural key (competition 名称, 部门名称, 项目编号; a receipt by
(项目编号, 到账日期, 金额) and a visit by its whole row, both as multisets), so importing
the same workbook twice changes nothing and a changed row updates its record. Writes go
in batches, each followed by its history rows (competition.ledger.history), so every
created or changed record has its history row (user, date, reason "台账导入") and
unchanged ones get none.

The import never deletes: a record the system holds but the ledger does not list (a
visit, a receipt, a milestone whose date cell is blank, a quota of a department not in
部门) is left alone and reported as a warning. Removing a record is a decision for the
office in the application, where it is audited one record at a time.

The work is split in two: `plan.Plan` reads the database (a few queries per sheet,
chunked) and decides every create and update, checking what needs stored data (stage
order against kept milestones and receipts, project codes of visits); `apply.Apply`
writes the plan. A dry run, or any error, stops after the plan.
"""

from typing import IO

from django.db import transaction

from competition import services
from competition.ledger.apply import Apply
from competition.ledger.plan import Plan
from competition.ledger.reader import Issue, LedgerFileError, read_ledger
from competition.ledger.report import KINDS, Counts, ImportReport

__all__ = ["CHANGE_REASON", "KINDS", "Counts", "ImportReport", "import_ledger"]

CHANGE_REASON = "台账导入"


def import_ledger(
    source: str | IO[bytes], *, user=None, dry_run: bool = False, reason: str = CHANGE_REASON
) -> ImportReport:
    """Read `source` and create or update its competition, all or nothing.

    `user` becomes every history row's history_user (None for the command). Returns the
    report; nothing is written when it has errors or `dry_run` is set. After a commit the
    competition's league snapshots are recomputed.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        ledger = read_ledger(source)
    except LedgerFileError as e:
        report.errors.append(Issue(None, None, None, str(e)))
        return report
    report.warnings.extend(ledger.warnings)
    report.errors.extend(ledger.errors)
    if ledger.competition is not None:
        report.competition = ledger.competition.name

    with transaction.atomic():
        plan = Plan(ledger, report)
        plan.build()
        report.errors.sort(key=Issue.sort_key)
        report.warnings.sort(key=Issue.sort_key)
        if report.errors or dry_run:
            return report
        Apply(plan, user=user, reason=reason).run()
        report.written = True
        if report.changed:
            _recompute_snapshots_after_commit(report)
    return report


def _recompute_snapshots_after_commit(report: ImportReport) -> None:
    """THE one place an import asks for the league to be recomputed.

    Bulk writes announce nothing, so the import marks the competitions stale itself:
    every competition, from its start, because a ledger's records belong to departments and
    dates and count for every competition whose window holds them (and a project moved
    away takes its figures from a department the ledger may not list). The recompute task
    is queued after the commit (in-process when no broker is configured) and recomputes
    today and every date already stored. The projects' stored progress is refreshed by
    Apply.run, inside the transaction.
    """
    services.records_changed(department_ids=None, dates=None)
