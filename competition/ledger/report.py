"""What an import found and did: errors, warnings and counts per kind of record."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from competition.ledger.reader import Issue

# What each count in the report is of, in report order.
KINDS = ["竞赛", "权重", "部门", "任务", "项目", "阶段节点", "到账", "接待"]
# A page lists this many errors, the first ones by sheet, row and column; the rest are
# counted (a broken column of 50,000 rows is one mistake, not a page of 50,000 lines).
ERRORS_SHOWN = 200


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """What an import found and did (or, in a dry run or on errors, would do)."""

    competition: str = ""
    dry_run: bool = False
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})
    competition_id: int | None = None
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def shown_errors(self) -> list[Issue]:
        """The errors a page lists: the first ERRORS_SHOWN."""
        return self.errors[:ERRORS_SHOWN]

    @property
    def more_errors(self) -> int:
        """How many errors the page does not list."""
        return max(0, len(self.errors) - ERRORS_SHOWN)

    @property
    def changed(self) -> bool:
        """Whether the import creates or updates anything."""
        return any(c.created or c.updated for c in self.counts.values())

    def summary_lines(self) -> list[str]:
        lines = []
        for kind in KINDS:
            c = self.counts[kind]
            lines.append(
                _("%(kind)s：新增%(c)d，更新%(u)d，未变%(n)d")
                % {"kind": kind, "c": c.created, "u": c.updated, "n": c.unchanged}
            )
        return lines
