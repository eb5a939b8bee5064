"""The dashboard's charts, drawn on the server as SVG shapes the template writes out.

No script draws them and no style attribute colours them (colours are SVG presentation
attributes), so the Content-Security-Policy stays as strict as for any other page. Each chart
is one query, whatever the number of rows; each also comes with a table of its figures, for
screen readers and for whoever would rather read.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.breaches.models import CONTROLLER_WINDOW, BreachIncident
from apps.dsar.models import DsarTicket

MONTHS = 12
WIDTH = 720
HEIGHT = 240
LEFT = 40  # room for the scale
BOTTOM = 30  # room for the month labels
TOP = 10

# One colour per request type, told apart in greyscale too (they step in lightness).
TYPE_COLOURS = {
    DsarTicket.RequestType.ACCESS: "#1f4e79",
    DsarTicket.RequestType.RECTIFICATION: "#2e75b6",
    DsarTicket.RequestType.ERASURE: "#9dc3e6",
    DsarTicket.RequestType.RESTRICTION: "#7f6000",
    DsarTicket.RequestType.PORTABILITY: "#c55a11",
    DsarTicket.RequestType.OBJECTION: "#f4b183",
}
RISK_COLOURS = {
    BreachIncident.RiskLevel.LOW: "#70ad47",
    BreachIncident.RiskLevel.MEDIUM: "#ffc000",
    BreachIncident.RiskLevel.HIGH: "#c00000",
}
ON_TIME_COLOUR = "#000000"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    title: str
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    # Horizontal rules: (y, label) — a scale line or a target.
    rules: list[tuple[float, str]] = field(default_factory=list)
    line: str = ""  # SVG polyline points
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, label)
    table_head: list[str] = field(default_factory=list)
    table_rows: list[list[str]] = field(default_factory=list)


def _month_starts(today: date) -> list[date]:
    first = today.replace(day=1)
    months = []
    year, month = first.year, first.month
    for _ in range(MONTHS):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def dsar_months_chart(*, now: datetime, zone: tzinfo) -> Chart:
    """Requests received per month by type over twelve months, and the share answered on time
    (closed by the deadline) of those closed."""
    months = _month_starts(timezone.localtime(now, zone).date())
    start = datetime(months[0].year, months[0].month, 1, tzinfo=zone)
    closed = Q(status__in=[DsarTicket.Status.COMPLETED, DsarTicket.Status.REJECTED])
    rows = (
        DsarTicket.objects.filter(received_at__gte=start)
        .annotate(month=TruncMonth("received_at", tzinfo=zone))
        .values("month", "request_type")
        .annotate(
            received=Count("pk"),
            closed=Count("pk", filter=closed),
            on_time=Count("pk", filter=closed & Q(closed_at__lte=F("due_at"))),
        )
        .order_by()
    )
    counts: dict[tuple[date, str], int] = {}
    closed_by_month: dict[date, int] = {}
    on_time_by_month: dict[date, int] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        counts[(month, row["request_type"])] = row["received"]
        closed_by_month[month] = closed_by_month.get(month, 0) + row["closed"]
        on_time_by_month[month] = on_time_by_month.get(month, 0) + row["on_time"]
    totals = [sum(counts.get((m, t), 0) for t in TYPE_COLOURS) for m in months]
    peak = max(totals + [1])
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / MONTHS
    chart = Chart(
        title="Data-subject requests per month, by type, and the share answered on time",
        summary=f"{sum(totals)} requests received in the last {MONTHS} months.",
        legend=[(colour, t.label) for t, colour in TYPE_COLOURS.items()]
        + [(ON_TIME_COLOUR, "answered on time (line, 0–100 %)")],
        table_head=["Month", *(t.label for t in TYPE_COLOURS), "Answered on time"],
    )
    chart.rules = [(TOP, str(peak)), (TOP + plot_height, "0")]
    points = []
    for index, month in enumerate(months):
        x = LEFT + index * slot + slot * 0.15
        y = float(TOP + plot_height)
        cells = [f"{month:%b %Y}"]
        for request_type, colour in TYPE_COLOURS.items():
            n = counts.get((month, request_type), 0)
            cells.append(str(n))
            if not n:
                continue
            height = plot_height * n / peak
            y -= height
            chart.bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(y, 1),
                    width=round(slot * 0.7, 1),
                    height=round(height, 1),
                    fill=colour,
                    title=f"{month:%b %Y}: {n} {request_type.label}",
                )
            )
        chart.labels.append(Label(x=round(x + slot * 0.35, 1), y=HEIGHT - 10, text=f"{month:%b}"))
        done = closed_by_month.get(month, 0)
        if done:
            share = on_time_by_month.get(month, 0) / done
            points.append(f"{x + slot * 0.35:.1f},{TOP + plot_height * (1 - share):.1f}")
            cells.append(f"{round(share * 100)} % of {done}")
        else:
            cells.append("none closed")
        chart.table_rows.append(cells)
    chart.line = " ".join(points)
    return chart


def breaches_by_risk_chart(*, now: datetime, zone: tzinfo) -> Chart:
    """Incidents of the last twelve months, by risk level."""
    since = now - timedelta(days=365)
    rows = (
        BreachIncident.objects.filter(became_aware_at__gte=since)
        .values("risk_level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["risk_level"]: row["n"] for row in rows}
    peak = max(list(counts.values()) + [1])
    bar_height = 40
    chart = Chart(
        title="Breach incidents of the last twelve months, by risk",
        summary=f"{sum(counts.values())} incidents.",
        height=TOP + 3 * (bar_height + 10) + 10,
        table_head=["Risk", "Incidents"],
    )
    for index, (level, colour) in enumerate(RISK_COLOURS.items()):
        n = counts.get(level, 0)
        y = TOP + index * (bar_height + 10)
        width = (WIDTH - 120 - 60) * n / peak
        chart.bars.append(
            Bar(
                x=120,
                y=y,
                width=round(max(width, 1), 1),
                height=bar_height,
                fill=colour,
                title=f"{level.label}: {n}",
            )
        )
        chart.labels.append(Label(x=10, y=y + bar_height / 2 + 5, text=f"{level.label} ({n})"))
        chart.table_rows.append([level.label, str(n)])
    return chart


def time_to_notify_chart(*, now: datetime, zone: tzinfo, limit: int = 20) -> Chart:
    """How long each of the latest incidents took from our awareness to the first controller's
    notice, against our target and the controllers' 72 hours."""
    incidents = list(
        BreachIncident.objects.with_clocks()
        .filter(first_notified_at__isnull=False)
        .order_by("-became_aware_at")[:limit]
    )
    incidents.reverse()
    target = settings.BREACH_NOTIFY_TARGET_HOURS
    window = CONTROLLER_WINDOW.total_seconds() / 3600
    hours = [
        (incident, (incident.first_notified_at - incident.became_aware_at).total_seconds() / 3600)
        for incident in incidents
    ]
    peak = max([h for _, h in hours] + [window])
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / max(limit, 1)
    chart = Chart(
        title="Hours from awareness to the first notice, for the latest incidents",
        summary=(
            f"{len(hours)} incidents; {sum(1 for _, h in hours if h <= target)} within our "
            f"{target}-hour target."
        ),
        legend=[("#2e75b6", "within our target"), ("#c00000", "after our target")],
        table_head=["Incident", "Hours to the first notice"],
    )

    def y_of(value: float) -> float:
        return round(TOP + plot_height * (1 - value / peak), 1)

    chart.rules = [
        (y_of(target), f"our target: {target} h"),
        (y_of(window), f"{int(window)} h"),
        (TOP + plot_height, "0"),
    ]
    for index, (incident, elapsed) in enumerate(hours):
        x = LEFT + index * slot + slot * 0.15
        late = elapsed > target
        chart.bars.append(
            Bar(
                x=round(x, 1),
                y=y_of(elapsed),
                width=round(slot * 0.7, 1),
                height=round(plot_height * elapsed / peak, 1),
                fill="#c00000" if late else "#2e75b6",
                title=f"{incident.reference}: {elapsed:.0f} h",
            )
        )
        chart.table_rows.append([incident.reference, f"{elapsed:.0f}"])
    return chart
