"""Required pace (还需 / 日均): what a department still needs, and the fewest additional
results that would lift it above the yellow line by next week's bulletin (issue #20, 1).

Everything here is read off one row of the league (`DepartmentResult`: its actuals and
targets) and the competition's weights, cap and yellow line; no queries, and the score it
predicts is `score_department`'s own, so that the page never invents a number.

Per metric with a target T > 0 (weighted or not: 接待人数 has a quota too):

- 还需 ``remaining = max(T - actual, 0)`` by the end of the window (万元 for funds);
- 日均 ``required_daily = remaining / days_left``, where ``days_left = days - elapsed`` are
  the days after the as-of date (the figures are as of the end of that day); None when no
  day is left;
- pace so far ``daily_so_far = actual / elapsed``; None before the window starts.

The yellow-line plan looks at next week's bulletin: the date 7 days later, clamped to the
window's end (f grows, so the needed actuals grow). With the department's actuals as they
stand (records cannot be dated in the future), its score then is

    score' = Σ w·min(actual/(T·f'), cap) / Σ w

and each additional unit of metric m adds w/(T·f'·Σw) to it until the metric reaches its
cap (the unit that reaches it adds less). Taking, one unit at a time, the unit with the
largest score gain gives the fewest units: each metric's gains never grow from one unit
to the next, so the n best units are a prefix of every metric's units (an exchange
argument), and a unit that only half-fills a cap is weighed at what it really adds.

Units are not comparable across metrics; we decided as the liaisons count their work:

- a unit is one result: one reception (接待批次), one project reaching a stage (意向, 签约,
  到账, 开工). The plan minimises the number of such results. 接待人数 weighs 0 by
  default; when a competition weights it, one more person is one result too.
- 到账资金 is money, not a count of results: the plan adds money only when more results
  cannot reach the line (every count metric at its cap), and then the least amount, in
  万元 rounded up to the cent. Separately, `funds_alone` says how much money alone (with
  no other result) would reach the line, for a department whose best chance is a tranche
  already on its way.
- Every metric is taken on its own, as the scoring rule counts it. A new project that
  signs also counts as an intent project (the stage rule), so doing what the plan says
  can only lift the score further: the plan is enough, never too little.
- Ties between metrics with the same gain go to the metric listed first (Metric's order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext, pgettext_lazy

from competition.models import METRICS, Competition, Metric
from competition.scoring.rule import (
    DepartmentResult,
    League,
    Window,
    score_department,
    window_for,
)

# The bulletin comes out weekly: the plan looks this many days ahead.
BULLETIN_INTERVAL_DAYS = 7

# Metrics counted in money, not in results.
MONEY_METRICS = frozenset({Metric.FUNDS_AMOUNT.value})

_CENT = Decimal("0.01")

# What one unit of each metric is called where a number of them is written (还需3个).
UNITS = {
    Metric.VISIT_BATCHES.value: pgettext_lazy("unit", "批次"),
    Metric.VISITORS.value: pgettext_lazy("unit", "名"),
    Metric.FUNDS_AMOUNT.value: pgettext_lazy("unit", "万元"),
}
PROJECT_UNIT = pgettext_lazy("unit", "个")


def unit_of(metric: str):
    return UNITS.get(metric, PROJECT_UNIT)


@dataclass(frozen=True)
class MetricPace:
    """One metric with a target: how much is left and at what daily pace."""

    metric: str
    label: str
    actual: Decimal
    target: Decimal
    remaining: Decimal  # 还需: max(T - actual, 0)
    days_left: int  # days of the window after the as-of date
    required_daily: Decimal | None  # 日均 needed: remaining / days_left (None: no day left)
    daily_so_far: Decimal | None  # actual / elapsed (None: the window has not started)
    is_money: bool

    @property
    def unit(self):
        return unit_of(self.metric)

    @property
    def on_pace(self) -> bool:
        """Whether the pace so far, kept up, reaches the target."""
        if self.remaining <= 0:
            return True
        if self.required_daily is None or self.daily_so_far is None:
            return False
        return self.daily_so_far >= self.required_daily


@dataclass(frozen=True)
class Addition:
    """Part of the plan: this many more of `metric` (results, or 万元 for funds)."""

    metric: str
    label: str
    amount: Decimal
    is_money: bool

    @property
    def unit(self):
        return unit_of(self.metric)

    def __str__(self) -> str:
        """ "签约项目1个", "到账资金28.34万元"."""
        amount = format(self.amount.normalize(), "f")
        return gettext("%(label)s%(amount)s%(unit)s") % {
            "label": self.label,
            "amount": amount,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class YellowLinePlan:
    """The fewest additional results that put the department at or above the yellow line
    as of `by` (next week's bulletin), and the score they would give."""

    by: date
    threshold: Decimal
    score_now: Fraction  # as of `by`, with the actuals as they stand
    score_then: Fraction  # as of `by`, with the additions
    additions: list[Addition] = field(default_factory=list)
    reachable: bool = True  # False: even every metric at its cap stays below the line
    funds_alone: Decimal | None = None  # 万元 that alone would reach the line (None: cannot)

    @property
    def needed(self) -> bool:
        """Whether the department must add anything (False: already at or above)."""
        return self.score_now < Fraction(self.threshold)

    @property
    def score_now_value(self) -> Decimal:
        """`score_now` for printing, cut (not rounded) to 0.1%: never shown at the line
        while below it."""
        return _quantize(self.score_now, places=Decimal("0.001"), rounding=ROUND_FLOOR)

    @property
    def score_then_value(self) -> Decimal:
        return _quantize(self.score_then, places=Decimal("0.001"), rounding=ROUND_FLOOR)

    @property
    def results(self) -> int:
        """The number of additional results (money not counted)."""
        return int(sum(a.amount for a in self.additions if not a.is_money))


@dataclass(frozen=True)
class DepartmentPace:
    """A department's 还需 / 日均 per metric, and its yellow-line plan."""

    department_id: int
    as_of: date
    window: Window
    metrics: list[MetricPace]
    plan: YellowLinePlan | None  # None: nothing can be scored by then, or the window is over
    over: bool = False  # the window is over: no next bulletin to plan for

    @property
    def started(self) -> bool:
        return self.window.started


def _label(metric: str) -> str:
    return str(Metric(metric).label)


def _quantize(value: Fraction, *, places: Decimal = _CENT, rounding=ROUND_HALF_UP) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        places, rounding=rounding
    )


def next_bulletin_date(competition: Competition, *, as_of: date) -> date:
    """The date of next week's bulletin: `as_of` + 7 days, clamped to the window's end
    (and never before `as_of` itself, once the window is over)."""
    return max(as_of, min(as_of + timedelta(days=BULLETIN_INTERVAL_DAYS), competition.end_date))


def metric_paces(
    *, actuals: dict[str, Decimal], targets: dict[str, Decimal], window: Window
) -> list[MetricPace]:
    """还需 and 日均 for every metric with a target T > 0, in Metric's order."""
    days_left = window.days - window.elapsed
    paces = []
    for metric in METRICS:
        target = Decimal(targets.get(metric) or 0)
        if target <= 0:
            continue
        actual = Decimal(actuals.get(metric) or 0)
        remaining = max(target - actual, Decimal(0))
        required = _quantize(Fraction(remaining) / days_left) if days_left > 0 else None
        so_far = _quantize(Fraction(actual) / window.elapsed) if window.started else None
        paces.append(
            MetricPace(
                metric=metric,
                label=_label(metric),
                actual=actual,
                target=target,
                remaining=remaining,
                days_left=days_left,
                required_daily=required,
                daily_so_far=so_far,
                is_money=metric in MONEY_METRICS,
            )
        )
    return paces


def _scored_metrics(*, targets: dict[str, Decimal], weights: dict[str, Decimal]) -> list[str]:
    return [
        m for m in METRICS if Decimal(targets.get(m) or 0) > 0 and Decimal(weights.get(m) or 0) > 0
    ]


def yellow_line_plan(
    *,
    actuals: dict[str, Decimal],
    targets: dict[str, Decimal],
    weights: dict[str, Decimal],
    cap: Decimal,
    threshold: Decimal,
    window: Window,
    by: date,
) -> YellowLinePlan | None:
    """The fewest additional results that make `score_department` as of `by` (whose
    window is `window`) at least `threshold`; None when nothing is scored then (the
    window has not started by `by`, or no metric has both a target and a weight).

    See the module's docstring for the units and why the greedy pick is the fewest.
    """
    # Every metric present, as Decimals (a stored snapshot's figures come from JSON).
    actuals = {m: Decimal(actuals.get(m) or 0) for m in METRICS}
    targets = {m: Decimal(targets.get(m) or 0) for m in METRICS}
    weights = {m: Decimal(weights.get(m) or 0) for m in METRICS}
    score_now, _ratios, scored = score_department(
        actuals=actuals, targets=targets, weights=weights, window=window, cap=cap
    )
    if not scored:
        return None
    line = Fraction(threshold)
    plan = YellowLinePlan(by=by, threshold=threshold, score_now=score_now, score_then=score_now)
    if score_now >= line:
        return plan

    metrics = _scored_metrics(targets=targets, weights=weights)
    weight_sum = sum((Fraction(weights[m]) for m in metrics), Fraction(0))
    f = window.fraction
    cap_f = Fraction(cap)

    def ratio(metric: str, actual: Fraction) -> Fraction:
        return min(actual / (Fraction(targets[metric]) * f), cap_f)

    def gain_per_unit(metric: str) -> Fraction:
        return Fraction(weights[metric]) / (Fraction(targets[metric]) * f * weight_sum)

    def room(metric: str, actual: Fraction) -> Fraction:
        """What the metric can still add to the score before its cap."""
        return Fraction(weights[metric]) * (cap_f - ratio(metric, actual)) / weight_sum

    gap = line - score_now
    added: dict[str, Fraction] = {m: Fraction(0) for m in metrics}
    counts = [m for m in metrics if m not in MONEY_METRICS]
    while gap > 0:
        # The next unit of each count metric: its gain, and how many units in a row gain
        # as much (full units up to the cap, or the one unit that reaches the cap).
        best: tuple[Fraction, int, str] | None = None
        for m in counts:
            left = room(m, Fraction(actuals[m]) + added[m])
            if left <= 0:
                continue
            per_unit = gain_per_unit(m)
            if per_unit <= left:
                gain, units = per_unit, min(int(left // per_unit), _ceil(gap / per_unit))
            else:
                gain, units = left, 1
            if best is None or gain > best[0]:
                best = (gain, units, m)
        if best is None:
            break  # every count metric is at its cap
        gain, units, m = best
        added[m] += units
        gap -= gain * units

    funds_alone = _money_alone(
        actuals=actuals, targets=targets, weights=weights, metrics=metrics,
        gap=line - score_now, room=room, gain_per_unit=gain_per_unit,
    )  # fmt: skip
    if gap > 0:
        for m in metrics:
            if m not in MONEY_METRICS or gap <= 0:
                continue
            left = room(m, Fraction(actuals[m]))
            if left <= 0:
                continue
            amount = Fraction(_quantize(min(gap, left) / gain_per_unit(m), rounding=ROUND_CEILING))
            added[m] += amount
            gap -= min(left, amount * gain_per_unit(m))

    new_actuals = {
        m: Decimal(actuals.get(m) or 0) + _quantize(added.get(m, Fraction(0)), places=_CENT)
        for m in METRICS
    }
    score_then, _ratios, _scored = score_department(
        actuals=new_actuals, targets=targets, weights=weights, window=window, cap=cap
    )
    additions = [
        Addition(
            metric=m,
            label=_label(m),
            amount=_quantize(added[m]) if m in MONEY_METRICS else Decimal(int(added[m])),
            is_money=m in MONEY_METRICS,
        )
        for m in metrics
        if added[m] > 0
    ]
    return YellowLinePlan(
        by=by,
        threshold=threshold,
        score_now=score_now,
        score_then=score_then,
        additions=additions,
        reachable=score_then >= line,
        funds_alone=funds_alone,
    )


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)


def _money_alone(*, actuals, targets, weights, metrics, gap, room, gain_per_unit):
    """万元 of funds that alone would close `gap` (rounded up to the cent), or None."""
    for m in metrics:
        if m in MONEY_METRICS and room(m, Fraction(actuals[m])) >= gap:
            return _quantize(gap / gain_per_unit(m), rounding=ROUND_CEILING)
    return None


def department_pace(
    result: DepartmentResult,
    *,
    league: League,
    weights: dict[str, Decimal],
    today: date | None = None,
) -> DepartmentPace:
    """还需 / 日均 and the yellow-line plan of one row of `league`, from that row's own
    actuals and targets (`weights`: `league.competition.weights()`, read once per page).

    `today`: when a page shows the league of the window's last day after the window is
    over (the liaison's home), nothing is planned any more: there is no next bulletin.
    """
    competition = league.competition
    as_of = league.as_of
    over = max(as_of, today or as_of) > competition.end_date
    by = next_bulletin_date(competition, as_of=as_of)
    plan = None
    if not over:
        plan = yellow_line_plan(
            actuals=result.actuals,
            targets=result.targets,
            weights=weights,
            cap=Decimal(competition.cap),
            threshold=Decimal(competition.yellow_threshold),
            window=window_for(competition, as_of=by),
            by=by,
        )
    return DepartmentPace(
        department_id=result.department_id,
        as_of=as_of,
        window=league.window,
        metrics=metric_paces(actuals=result.actuals, targets=result.targets, window=league.window),
        plan=plan,
        over=over,
    )
