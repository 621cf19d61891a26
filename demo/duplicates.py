"""The demo's likely duplicates and one credit decision (issue 20 item 6).

The demo's investors are drawn at random from a pool of brands and cities, so a few
departments already follow one investor (上海中天科技 and 苏州中天科技 are one investor
to projects.duplicates): the office's 疑似重复 page lists them, undecided. One pair is a
true duplicate, made so in the plan (`plan_duplicate`): a lead (信息) of another
department names a signed project again, written its own way (no "项目", 集团 for 有限公司).
The office has denied that lead the credit in favour of the signed project
(`decide_duplicate`). The lead has no counted stage, so the league keeps the speech's
figures.
"""

from __future__ import annotations

from projects import credit
from projects.models import Project

REASON = (
    "经核实，两个部门登记的是同一投资方的同一项目：%(winner)s首谈并已正式签约，"
    "%(loser)s报送的信息在后，归属%(winner)s；%(loser)s的该条信息不计入竞赛统计。"
)


def plan_duplicate(plans: list) -> tuple | None:
    """Make one plain lead a later entry, by another department, of a signed project;
    (lead, signed project), or None when the plan has no such two. `plans`: the loader's
    ProjectPlan list (not imported: the loader imports this module)."""
    signed = [p for p in plans if any(r.kind == "signed" for r in p.records) and p.lost_on is None]
    leads = [p for p in plans if p.profile == "lead" and p.flag != "staff"]
    for winner in signed:
        for lead in leads:
            if lead.department != winner.department and lead.first_on > winner.first_on:
                name, investor = winner.fields["name"], winner.fields["investor"]
                lead.fields["name"] = name.removesuffix("项目")
                lead.fields["investor"] = investor.replace("有限公司", "集团")
                return lead, winner
    return None


def decide_duplicate(pair: tuple | None, saved: dict, *, by) -> None:
    """The office's decision on the planned pair: the lead does not count (saved: the demo's
    projects by code)."""
    if pair is None:
        return
    lead, winner = (saved[plan.code] for plan in pair)
    names = {
        "winner": Project.objects.get(pk=winner.pk).department.name,
        "loser": Project.objects.get(pk=lead.pk).department.name,
    }
    credit.deny_credit(lead, in_favour_of=winner, by=by, reason=REASON % names)
