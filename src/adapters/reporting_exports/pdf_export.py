"""Reports as PDF (reportlab): a title, the totals, a chart and the table of rows.

Cells are drawn as plain strings, never as reportlab markup, so a product named ``<b>`` or
``A & B`` prints as written. The built-in Helvetica covers Latin-1; other scripts need a TTF font
registered with reportlab. Charts show at most ``MAX_BARS`` bars (which ones is said under the
chart); the table always lists every row, over as many pages as it takes.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from commerce_core.reporting.model import (
    InventoryReport,
    LowStockReport,
    SalesGrouping,
    SalesReport,
)

MAX_BARS = 40
MAX_CELL = 48  # characters of a name or label in a table cell
DAYS_BY_MONTH_AFTER = 92  # a longer daily report is charted by month
CHART_WIDTH, CHART_HEIGHT = 16 * cm, 6.5 * cm
BAR_COLOURS = (colors.HexColor("#1565c0"), colors.HexColor("#ef6c00"))
_STYLES = getSampleStyleSheet()
_HEADER_BG = colors.HexColor("#e8eef7")
_TOTAL_BG = colors.HexColor("#f3f3f3")


def _cell(value: object) -> str:
    shown = str(value)
    return shown if len(shown) <= MAX_CELL else shown[: MAX_CELL - 1] + "\u2026"


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric_from: int,
    total_rows: int = 0,
) -> Table:
    data = [list(header), *([_cell(v) for v in row] for row in rows)]
    table = Table(data, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if total_rows:
        style += [
            ("FONT", (0, -total_rows), (-1, -1), "Helvetica-Bold", 8),
            ("BACKGROUND", (0, -total_rows), (-1, -1), _TOTAL_BG),
        ]
    table.setStyle(TableStyle(style))
    return table


def _bar_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> Drawing:
    if not labels:  # an empty report still gets its (empty) axes
        labels, series = [""], [(name, [0]) for name, _ in series]
    drawing = Drawing(CHART_WIDTH, CHART_HEIGHT + 1.2 * cm)
    drawing.add(String(0, CHART_HEIGHT + 0.7 * cm, title, fontName="Helvetica-Bold", fontSize=9))
    chart = VerticalBarChart()
    chart.x, chart.y = 1.5 * cm, 1.6 * cm
    # A few categories get bars of a usual width rather than the whole page's.
    per_category = 1.2 * cm * len(series)
    chart.width = min(CHART_WIDTH - 2 * cm, max(4 * cm, per_category * len(labels)))
    chart.height = CHART_HEIGHT - 1.6 * cm
    chart.data = [list(values) for _, values in series]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = "Helvetica"
    # Every label when they fit, else every n-th: the bars stay, the axis stays readable.
    step = max(1, len(labels) // 20)
    chart.categoryAxis.categoryNames = [
        _cell(label)[:14] if i % step == 0 else "" for i, label in enumerate(labels)
    ]
    chart.categoryAxis.labels.angle = 45 if len(labels) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.barSpacing = 1
    chart.groupSpacing = 4 if len(labels) < 40 else 1
    for i in range(len(series)):
        chart.bars[i].fillColor = BAR_COLOURS[i % len(BAR_COLOURS)]
        chart.bars[i].strokeWidth = 0
    drawing.add(chart)
    if len(series) > 1:
        legend = Legend()
        legend.x, legend.y = CHART_WIDTH - 4 * cm, CHART_HEIGHT + 0.8 * cm
        legend.fontName, legend.fontSize = "Helvetica", 7
        legend.colorNamePairs = [
            (BAR_COLOURS[i % len(BAR_COLOURS)], name) for i, (name, _) in enumerate(series)
        ]
        legend.columnMaximum = 1
        legend.dx = legend.dy = 6
        legend.deltax = 60
        drawing.add(legend)
    return drawing


def _render(title: str, subtitle: str, story: list[Flowable]) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="commerce-core",
        creator="commerce-core",
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
    )
    heading = [
        Paragraph(escape(title), _STYLES["Title"]),
        Paragraph(escape(subtitle), _STYLES["Normal"]),
        Spacer(1, 0.4 * cm),
    ]
    document.build([*heading, *story])
    return buffer.getvalue()


# -- sales -------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return str(value)  # as in the JSON and CSV reports, so the three read the same


def _sales_chart_points(
    report: SalesReport, currency: str
) -> tuple[str, list[tuple[str, Decimal]]]:
    rows = [row for row in report.rows if row.currency == currency]
    if report.group_by is SalesGrouping.DAY:
        # Every day of the period, those without a sale at zero, so the axis is time.
        by_day: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            by_day[row.key] += row.revenue
        days = [
            report.date_from + timedelta(days=n)
            for n in range((report.date_to - report.date_from).days + 1)
        ]
        if len(days) > DAYS_BY_MONTH_AFTER:
            months: dict[str, Decimal] = defaultdict(Decimal)
            for day in days:
                months[day.isoformat()[:7]] += by_day[day.isoformat()]
            return f"Revenue by month ({currency})", sorted(months.items())
        return f"Revenue by day ({currency})", [
            (day.isoformat()[5:], by_day[day.isoformat()]) for day in days
        ]
    kind = report.group_by.value
    top = sorted(rows, key=lambda row: (-row.revenue, row.key))[:MAX_BARS]
    title = f"Revenue by {kind} ({currency})"
    if len(rows) > MAX_BARS:
        title += f": the {MAX_BARS} highest of {len(rows)}"
    return title, [(row.label, row.revenue) for row in top]


def sales_pdf(report: SalesReport) -> bytes:
    title = f"Sales by {report.group_by.value}"
    subtitle = (
        f"{report.date_from.isoformat()} to {report.date_to.isoformat()} (UTC days, "
        "net of cancellations and refunds)"
    )
    story: list[Flowable] = []
    for total in report.totals:
        story.append(
            Paragraph(
                escape(
                    f"Total {total.currency}: revenue {_money(total.revenue)}, "
                    f"{total.orders} orders, {total.units} units"
                ),
                _STYLES["Heading3"],
            )
        )
    if not report.rows:
        story.append(Paragraph("No sales in this period.", _STYLES["Normal"]))
    for total in report.totals:
        chart_title, points = _sales_chart_points(report, total.currency)
        story += [
            Spacer(1, 0.3 * cm),
            _bar_chart(
                chart_title,
                [label for label, _ in points],
                [("revenue", [float(value) for _, value in points])],
            ),
        ]
    # A day is its own label; a product is shown by name, then id; a category by name.
    names = {
        SalesGrouping.DAY: ("day",),
        SalesGrouping.PRODUCT: ("product", "product id"),
        SalesGrouping.CATEGORY: ("category",),
    }[report.group_by]
    rows: list[Sequence[object]] = [
        ((row.label, row.key) if len(names) == 2 else (row.label,))
        + (row.currency, row.orders, row.units, _money(row.revenue))
        for row in report.rows
    ]
    rows += [
        ("Total", *[""] * (len(names) - 1), t.currency, t.orders, t.units, _money(t.revenue))
        for t in report.totals
    ]
    story += [
        Spacer(1, 0.4 * cm),
        _table(
            (*names, "currency", "orders", "units", "revenue"),
            rows,
            numeric_from=len(names) + 1,
            total_rows=len(report.totals),
        ),
    ]
    return _render(title, subtitle, story)


# -- stock -------------------------------------------------------------------------------------


def inventory_pdf(report: InventoryReport, *, today: date | None = None) -> bytes:
    subtitle = f"{len(report.rows)} products" + (f", on {today.isoformat()}" if today else "")
    story: list[Flowable] = [
        Paragraph(
            escape(
                f"Total on hand: {report.total_on_hand} units, "
                f"available: {report.total_available} units"
            ),
            _STYLES["Heading3"],
        )
    ]
    lowest = sorted(report.rows, key=lambda r: (r.available, r.sku))[:MAX_BARS]
    chart_title = "Available and low-stock threshold per product"
    if len(report.rows) > MAX_BARS:
        chart_title += f": the {MAX_BARS} lowest of {len(report.rows)}"
    story += [
        Spacer(1, 0.3 * cm),
        _bar_chart(
            chart_title,
            [r.sku for r in lowest],
            [
                ("available", [r.available for r in lowest]),
                ("threshold", [r.low_stock_threshold for r in lowest]),
            ],
        ),
    ]
    rows: list[Sequence[object]] = [
        (
            r.sku,
            r.name,
            r.on_hand,
            r.reserved,
            r.available,
            r.low_stock_threshold,
            r.received,
            r.sold,
            r.returned,
            r.adjusted,
        )
        for r in report.rows
    ]
    rows.append(("Total", "", report.total_on_hand, "", report.total_available, "", "", "", "", ""))
    story += [
        Spacer(1, 0.4 * cm),
        _table(
            (
                "sku",
                "name",
                "on hand",
                "reserved",
                "available",
                "threshold",
                "received",
                "sold",
                "returned",
                "adjusted",
            ),
            rows,
            numeric_from=2,
            total_rows=1,
        ),
    ]
    return _render("Inventory", subtitle, story)


def low_stock_pdf(report: LowStockReport, *, today: date | None = None) -> bytes:
    subtitle = f"{len(report.rows)} products at or under their threshold" + (
        f", on {today.isoformat()}" if today else ""
    )
    story: list[Flowable] = []
    if not report.rows:
        story.append(
            Paragraph("No product is at or under its low-stock threshold.", _STYLES["Normal"])
        )
    shown = report.rows[:MAX_BARS]
    chart_title = "Available and threshold"
    if len(report.rows) > MAX_BARS:
        chart_title += f": the {MAX_BARS} lowest of {len(report.rows)}"
    story += [
        _bar_chart(
            chart_title,
            [r.sku for r in shown],
            [
                ("available", [r.available for r in shown]),
                ("threshold", [r.threshold for r in shown]),
            ],
        )
    ]
    story += [
        Spacer(1, 0.4 * cm),
        _table(
            ("sku", "name", "product id", "available", "threshold"),
            [(r.sku, r.name, r.product_id, r.available, r.threshold) for r in report.rows],
            numeric_from=3,
        ),
    ]
    return _render("Low stock", subtitle, story)
