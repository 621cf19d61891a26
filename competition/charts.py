"""Charts as server-side SVG: pure functions returning safe markup, no JavaScript.

The same markup serves the web pages (inline <svg>) and the printed bulletins (WeasyPrint).
For the PDFs every <svg> carries its own `font-family` (SVG text inherits no CSS font in
WeasyPrint) and explicit `width`, `height` and `viewBox`; colours are presentation
attributes, not CSS, for the same reason. Every piece of text is escaped; the result is
well-formed XML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from competition.models import Metric
from competition.scoring import DepartmentResult
from competition.scoring.progress import ProgressSeries

# FandolHei first: the printed reports register it (competition.reports.pdf), so the charts
# are set in the same 黑体 as the documents' headings; browsers fall through to the rest.
FONT_FAMILY = (
    "'FandolHei', 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', "
    "'PingFang SC', sans-serif"
)
INK = "#1f2328"
MUTED = "#5b6470"
GRID = "#d8dde3"
RED = "#c00000"
BAR = "#4a6fa5"
WARNING = "#e0a100"
TIMELINE = "#8a929c"

NAME_MAX_CHARS = 10  # longer department names are shortened; the full name is in <title>


def _num(value: float) -> str:
    """A coordinate: short, no exponent, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def percent(value: Decimal | float, places: int = 1) -> str:
    """A ratio written as a percentage: Decimal("0.6543") -> "65.4%"."""
    quantum = Decimal(1).scaleb(-places)
    return f"{(Decimal(str(value)) * 100).quantize(quantum)}%"


def plain_percent(value: Decimal | float) -> str:
    """A ratio as a percentage with no needless zeros: Decimal("0.70") -> "70%"."""
    return f"{(Decimal(str(value)) * 100).normalize():f}%"


def _svg(body: list[str], *, width: int, height: int, label: str, css_class: str) -> SafeString:
    """Wrap `body` in an <svg> element that stands on its own (browser and WeasyPrint)."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{escape(FONT_FAMILY)}" font-size="12" fill="{INK}" '
        f'role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(content)}</text>'


def _short(name: str) -> str:
    return name if len(name) <= NAME_MAX_CHARS else name[: NAME_MAX_CHARS - 1] + "…"


def _score_axis_max(rows: Sequence[DepartmentResult], threshold: Decimal) -> Decimal:
    """Scale end: the largest of 100%, the threshold and the best score, up to a 25% step."""
    top = max([Decimal(1), Decimal(threshold)] + [Decimal(r.score) for r in rows])
    return Decimal(math.ceil(top * 4)) / 4


def score_chart(rows: Sequence[DepartmentResult], threshold: Decimal) -> SafeString:
    """Horizontal bars of the departments' scores in the given (rank) order.

    One bar (`rect class="bar"`) per department, in the warning colour for a yellow card,
    the score written beside it ("未计分" when nothing is scored), and a dashed line at the
    yellow `threshold`.
    """
    label_w, plot_w, value_w = 170, 470, 80
    row_h, bar_h, top, legend_h = 24, 14, 40, 34
    width = label_w + plot_w + value_w
    height = top + row_h * max(len(rows), 1) + legend_h
    axis_max = _score_axis_max(rows, threshold)

    def x_of(value: Decimal) -> float:
        return label_w + plot_w * float(min(Decimal(value), axis_max) / axis_max)

    plot_bottom = top + row_h * max(len(rows), 1)
    body = []
    # Grid lines and tick labels every 25%.
    steps = int(axis_max * 4)
    for i in range(steps + 1):
        tick = Decimal(i) / 4
        x = x_of(tick)
        body.append(
            f'<line x1="{_num(x)}" y1="{top - 4}" x2="{_num(x)}" y2="{plot_bottom}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            _text(x, top - 8, percent(tick, 0), text_anchor="middle", fill=MUTED, font_size="11")
        )

    for i, row in enumerate(rows):
        y = top + row_h * i
        mid = y + row_h / 2
        colour = WARNING if row.yellow_card else BAR
        bar_w = x_of(row.score) - label_w if row.scored else 0
        value = percent(row.score) if row.scored else gettext("未计分")
        status = gettext("黄牌警告") if row.yellow_card else ""
        title = " ".join(
            p for p in (f"{row.rank}", row.department_name, gettext("得分"), value, status) if p
        )
        body.append(
            f'<g class="department">'
            f"<title>{escape(title)}</title>"
            + _text(4, mid + 4, str(row.rank), fill=MUTED, font_size="11")
            + _text(label_w - 8, mid + 4, _short(row.department_name), text_anchor="end")
            + f'<rect class="bar{" bar-warning" if row.yellow_card else ""}" '
            f'x="{label_w}" y="{_num(mid - bar_h / 2)}" width="{_num(bar_w)}" '
            f'height="{bar_h}" fill="{colour}"/>'
            + _text(
                label_w + bar_w + 6,
                mid + 4,
                value,
                fill=INK if row.scored else MUTED,
                font_size="11",
            )
            + "</g>"
        )
    if not rows:
        body.append(_text(label_w, top + row_h / 2 + 4, gettext("没有参赛部门"), fill=MUTED))

    # The yellow threshold, over the bars.
    tx = x_of(threshold)
    body.append(
        f'<line class="threshold" x1="{_num(tx)}" y1="{top - 22}" x2="{_num(tx)}" '
        f'y2="{plot_bottom}" stroke="{RED}" stroke-width="1.5" stroke-dasharray="5 3"/>'
    )
    body.append(
        _text(
            tx + 4,
            top - 24,
            gettext("黄牌线 %(t)s") % {"t": plain_percent(threshold)},
            fill=RED,
            font_size="11",
        )
    )

    # Legend.
    ly = plot_bottom + 20
    body.append(f'<rect x="{label_w}" y="{ly - 10}" width="14" height="10" fill="{BAR}"/>')
    body.append(_text(label_w + 20, ly, gettext("得分（时序进度完成率加权）"), font_size="11"))
    lx = label_w + 210
    body.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="10" fill="{WARNING}"/>')
    body.append(_text(lx + 20, ly, gettext("黄牌警告"), font_size="11"))
    lx += 100
    body.append(
        f'<line x1="{lx}" y1="{ly - 5}" x2="{lx + 18}" y2="{ly - 5}" stroke="{RED}" '
        f'stroke-width="1.5" stroke-dasharray="5 3"/>'
    )
    body.append(_text(lx + 24, ly, gettext("黄牌线"), font_size="11"))

    label = gettext("各部门得分（按排名）")
    return _svg(body, width=width, height=height, label=label, css_class="chart-score")


def _nice_step(top: float, ticks: int = 4) -> int:
    """An integer step of 1, 2 or 5 × 10^k giving at most `ticks` intervals up to `top`."""
    raw = max(top / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)  # pragma: no cover


PANEL_W, PANEL_H = 330, 210


def _panel_body(series: ProgressSeries, metric: str) -> list[str]:
    """One metric's panel, drawn in a PANEL_W × PANEL_H box at the origin."""
    left, right, top, bottom = 44, 16, 46, 30
    plot_w, plot_h = PANEL_W - left - right, PANEL_H - top - bottom
    days = series.days
    values = series.actual[metric]
    target = series.targets[metric]
    current = values[-1] if values else 0
    pace = series.timeline(metric, series.elapsed)

    step = _nice_step(max(float(target), float(current), 1))
    y_max = step * math.ceil(max(float(target), float(current), 1) / step)

    def x_of(day: float) -> float:
        return left + plot_w * day / days

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    body = [
        _text(0, 16, str(Metric(metric).label), font_size="14", font_weight="bold"),
        _text(
            0,
            34,
            gettext("实际 %(actual)s · 时序进度 %(pace)s · 任务 %(target)s")
            % {
                "actual": current,
                "pace": f"{pace.quantize(Decimal('0.1'))}",
                "target": f"{target.normalize():f}",
            },
            fill=MUTED,
            font_size="11",
        ),
    ]
    for tick in range(0, y_max + 1, step):
        y = y_of(tick)
        body.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{left + plot_w}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            _text(left - 6, y + 4, str(tick), text_anchor="end", fill=MUTED, font_size="10")
        )
    # Day labels: the first, today and the last.
    for day, anchor in ((1, "start"), (days, "end")):
        body.append(
            _text(
                x_of(day),
                top + plot_h + 16,
                gettext("第%(n)s天") % {"n": day},
                text_anchor=anchor,
                fill=MUTED,
                font_size="10",
            )
        )
    # The timeline over the whole window: where the city should be at each day's pace.
    body.append(
        f'<polyline class="timeline" points="{_num(x_of(0))},{_num(y_of(0))} '
        f'{_num(x_of(days))},{_num(y_of(float(target)))}" fill="none" stroke="{TIMELINE}" '
        f'stroke-width="1.5" stroke-dasharray="5 3"/>'
    )
    if series.elapsed:
        tx = x_of(series.elapsed)
        body.append(
            f'<line class="today" x1="{_num(tx)}" y1="{top}" x2="{_num(tx)}" '
            f'y2="{top + plot_h}" stroke="{MUTED}" stroke-width="1" stroke-dasharray="2 2"/>'
        )
        if 0.1 * days < series.elapsed < 0.9 * days:
            body.append(
                _text(
                    tx,
                    top + plot_h + 16,
                    gettext("第%(n)s天") % {"n": series.elapsed},
                    text_anchor="middle",
                    fill=INK,
                    font_size="10",
                )
            )
        points = [(x_of(0), y_of(0))] + [
            (x_of(day), y_of(v)) for day, v in enumerate(values, start=1)
        ]
        body.append(
            '<polyline class="actual" points="'
            + " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
            + f'" fill="none" stroke="{RED}" stroke-width="2" stroke-linejoin="round"/>'
        )
        last_x, last_y = points[-1]
        body.append(f'<circle cx="{_num(last_x)}" cy="{_num(last_y)}" r="3" fill="{RED}"/>')
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    return body


def cumulative_panel(series: ProgressSeries, metric: str) -> SafeString:
    """One metric's cumulative actual (solid) against its timeline (dashed) over the window."""
    label = gettext("%(metric)s累计进度") % {"metric": Metric(metric).label}
    return _svg(
        _panel_body(series, metric),
        width=PANEL_W,
        height=PANEL_H,
        label=label,
        css_class="chart-progress",
    )


def cumulative_chart(series: ProgressSeries, *, columns: int = 3) -> SafeString:
    """Every metric of `series` as a panel of actual vs timeline, `columns` panels a row,
    with one legend under them: a single SVG for the printed bulletin."""
    metrics = series.metrics
    rows = max(math.ceil(len(metrics) / columns), 1)
    gap, legend_h = 16, 28
    width = columns * PANEL_W + (columns - 1) * gap
    height = rows * PANEL_H + (rows - 1) * gap + legend_h
    body = []
    for i, metric in enumerate(metrics):
        x = (i % columns) * (PANEL_W + gap)
        y = (i // columns) * (PANEL_H + gap)
        body.append(f'<g class="panel" transform="translate({x},{y})">')
        body.extend(_panel_body(series, metric))
        body.append("</g>")
    body.extend(progress_legend(y=height - 10))
    label = gettext("全市累计进度与时序进度")
    return _svg(body, width=width, height=height, label=label, css_class="chart-progress-all")


def progress_legend(*, y: float) -> list[str]:
    """The legend of the progress panels: actual, timeline, today."""
    return [
        f'<line x1="0" y1="{_num(y - 4)}" x2="22" y2="{_num(y - 4)}" stroke="{RED}" '
        f'stroke-width="2"/>',
        _text(28, y, gettext("实际累计"), font_size="11"),
        f'<line x1="110" y1="{_num(y - 4)}" x2="132" y2="{_num(y - 4)}" stroke="{TIMELINE}" '
        f'stroke-width="1.5" stroke-dasharray="5 3"/>',
        _text(138, y, gettext("时序进度（任务 × 已进行天数 ÷ 总天数）"), font_size="11"),
    ]


def time_progress_bar(*, elapsed: int, days: int) -> SafeString:
    """The share of the window elapsed: a bar filled to elapsed / days."""
    width, height, bar_h = 600, 26, 14
    share = Decimal(elapsed) / Decimal(days) if days else Decimal(0)
    fill_w = width * float(share)
    label = gettext("第%(n)s天，共%(d)s天，时间进度%(p)s") % {
        "n": elapsed,
        "d": days,
        "p": percent(share),
    }
    body = [
        f'<rect x="0" y="4" width="{width}" height="{bar_h}" rx="3" fill="#eef0f3" '
        f'stroke="{GRID}"/>',
        f'<rect class="elapsed" x="0" y="4" width="{_num(fill_w)}" height="{bar_h}" rx="3" '
        f'fill="{RED}"/>',
    ]
    for tenth in range(1, 10):
        x = width * tenth / 10
        body.append(
            f'<line x1="{_num(x)}" y1="4" x2="{_num(x)}" y2="{4 + bar_h}" stroke="#ffffff" '
            f'stroke-opacity="0.6" stroke-width="1"/>'
        )
    return _svg(body, width=width, height=height, label=label, css_class="chart-time")
