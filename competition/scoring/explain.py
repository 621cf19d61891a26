"""The numbers of one department's score, laid out the way DOMAIN.md writes the formula."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from competition.models import Metric
from competition.scoring.rule import DepartmentResult, League

METRIC_LABELS = list(Metric.choices)


@dataclass(frozen=True)
class MetricLine:
    metric: str
    label: str
    actual: Decimal
    target: Decimal
    weight: Decimal
    scored: bool
    expected: Decimal | None  # T × f: what the timeline asks for by now
    raw_ratio: Decimal | None  # actual / (T × f), before the cap
    ratio: Decimal | None  # min(raw_ratio, cap)
    capped: bool
    contribution: Decimal | None  # w × ratio


def _dec(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001"))


def metric_lines(result: DepartmentResult, *, league: League) -> list[MetricLine]:
    """One line per metric: actual, target, T×f, ratio before and after the cap, w×ratio."""
    weights = league.competition.weights()
    f = league.window.fraction
    cap = Fraction(league.competition.cap)
    lines = []
    for metric, label in METRIC_LABELS:
        actual, target = result.actuals[metric], result.targets[metric]
        weight = weights.get(metric, Decimal(0))
        scored = result.ratios.get(metric) is not None
        expected = raw = ratio = contribution = None
        capped = False
        if scored:
            expected_f = Fraction(target) * f
            raw_f = Fraction(actual) / expected_f
            ratio_f = min(raw_f, cap)
            capped = raw_f > cap
            expected, raw, ratio = _dec(expected_f), _dec(raw_f), _dec(ratio_f)
            contribution = _dec(Fraction(weight) * ratio_f)
        lines.append(
            MetricLine(
                metric=metric, label=label, actual=actual, target=target, weight=weight,
                scored=scored, expected=expected, raw_ratio=raw, ratio=ratio, capped=capped,
                contribution=contribution,
            )
        )  # fmt: skip
    return lines


@dataclass(frozen=True)
class Explanation:
    lines: list[MetricLine]
    weight_sum: Decimal  # Σ w over the scored metrics
    weighted_sum: Decimal  # Σ w·min(ratio, cap)


def explain(result: DepartmentResult, *, league: League) -> Explanation:
    """score = weighted_sum / weight_sum, with every term of both sums."""
    lines = metric_lines(result, league=league)
    scored = [line for line in lines if line.scored]
    return Explanation(
        lines=lines,
        weight_sum=sum((line.weight for line in scored), Decimal(0)),
        weighted_sum=sum((line.contribution for line in scored), Decimal(0)),
    )
