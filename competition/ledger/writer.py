"""Write a competition as a ledger workbook (台账), in the format the importer reads.

The workbook lists the departments taking part (those with a quota) and their records:
every project of those departments with its milestones, the projects' receipts, and the
departments' visits. Only records the competition counts are written (verified, plus
pending ones when it counts pending); the import marks what it reads verified, so export
→ import into an empty database → export gives the same workbook and the same league.
Rows are sorted by their natural keys so the output does not depend on database ids.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from django.db.models import F

from competition.ledger import schema
from competition.models import METRICS, Competition, Quota
from competition.scoring import counted_statuses
from projects.models import Milestone, Project, Receipt, Visit
from web.csvsafe import text_cells


def excel_number(value: Decimal | int | None) -> int | float | None:
    """Money and ratios as plain numbers: integral values as int, others as float.

    Every stored value has at most 14 significant digits, so the float is the exact
    decimal Excel shows and the importer reads back through str().
    """
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _yes_no(flag: bool) -> str:
    return schema.YES if flag else schema.NO


def _blank(text: str | None) -> str | None:
    return text or None


def ledger_rows(competition: Competition) -> dict[str, Any]:
    """Each sheet's data rows (iterables, lazily queried), keyed by sheet name."""
    quotas = list(
        Quota.objects.filter(competition=competition)
        .select_related("department__group")
        .order_by("department__order", "department__name")
    )
    departments = Quota.objects.filter(competition=competition).values("department_id")
    statuses = counted_statuses(competition)
    weights = competition.weights()

    def projects():
        dates: dict[tuple[int, int], Any] = {
            (project_id, stage): day
            for project_id, stage, day in Milestone.objects.filter(
                project__department_id__in=departments, status__in=statuses
            )
            .order_by()
            .values_list("project_id", "stage", "occurred_on")
            .iterator(chunk_size=5000)
        }
        queryset = (
            Project.objects.filter(department_id__in=departments)
            .order_by("code")
            .values_list(
                "id",
                "code",
                "name",
                "department__name",
                "investor",
                "responsible_person",
                "industry",
                "is_high_tech",
                "planned_investment",
                "registered_capital",
                "zone",
                "origin_region",
                "source_channel",
                "lost_on",
                "lost_reason",
            )
        )
        for (
            pk,
            code,
            name,
            department,
            investor,
            person,
            industry,
            high_tech,
            planned,
            capital,
            zone,
            origin,
            channel,
            lost_on,
            lost_reason,
        ) in queryset.iterator(chunk_size=2000):
            yield [
                code,
                name,
                department,
                _blank(investor),
                _blank(person),
                schema.INDUSTRY_LABELS[industry],
                _yes_no(high_tech),
                excel_number(planned),
                excel_number(capital),
                _blank(zone),
                _blank(origin),
                schema.SOURCE_CHANNEL_LABELS[channel] if channel else None,
                *[dates.get((pk, stage)) for stage in schema.STAGE_COLUMNS.values()],
                lost_on,
                _blank(lost_reason),
            ]

    def receipts():
        queryset = (
            Receipt.objects.filter(project__department_id__in=departments, status__in=statuses)
            .order_by("project__code", "occurred_on", "amount")
            .values_list("project__code", "occurred_on", "amount")
        )
        for code, day, amount in queryset.iterator(chunk_size=5000):
            yield [code, day, excel_number(amount)]

    def visits():
        queryset = (
            Visit.objects.filter(department_id__in=departments, status__in=statuses)
            .order_by(
                "occurred_on",
                "department__order",
                "department__name",
                "investor_org",
                "persons",
                "host",
                "purpose",
                F("project__code").asc(nulls_first=True),
            )
            .values_list(
                "occurred_on",
                "department__name",
                "investor_org",
                "persons",
                "host",
                "purpose",
                "project__code",
            )
        )
        for day, department, org, persons, host, purpose, code in queryset.iterator(
            chunk_size=5000
        ):
            yield [day, department, org, persons, _blank(host), _blank(purpose), code]

    return {
        schema.COMPETITION: [
            [
                competition.name,
                competition.start_date,
                competition.end_date,
                excel_number(competition.yellow_threshold),
                excel_number(competition.cap),
                _yes_no(competition.count_pending),
            ]
        ],
        schema.WEIGHTS: [[schema.METRIC_LABELS[m], excel_number(weights[m])] for m in METRICS],
        schema.DEPARTMENTS: [
            [
                q.department.name,
                q.department.group.name if q.department.group else None,
                q.department.order,
                q.department.head or None,
            ]
            for q in quotas
        ],
        schema.QUOTAS: [
            [q.department.name, *[excel_number(getattr(q, m)) for m in METRICS]] for q in quotas
        ],
        schema.PROJECTS: projects(),
        schema.RECEIPTS: receipts(),
        schema.VISITS: visits(),
    }


def export_ledger(competition: Competition, target: str | IO[bytes]) -> None:
    """Write `competition` to `target` (a path or a binary file) as a ledger workbook.

    Streams rows through openpyxl's write-only mode: memory stays flat for large ledgers.
    """
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    rows = ledger_rows(competition)
    for sheet in schema.SHEETS:
        worksheet = workbook.create_sheet(sheet.name)
        worksheet.append(list(sheet.columns))
        for row in rows[sheet.name]:
            worksheet.append(text_cells(worksheet, row))  # "=…" typed by a user stays text
    workbook.save(target)
