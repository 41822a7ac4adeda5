"""GET /reports/reorder-suggestions: eight weeks of daily sales in the read models; the product
that sells fast and has little stock left is suggested, the slow one is not; bad parameters are
422 problems; admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.support import Api, assert_problem
from commerce_core.catalog.events import ProductCreated
from commerce_core.ordering.events import OrderConfirmed, OrderCreated, OrderedItem
from commerce_core.shared.events import Event

TODAY = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # the ManualClock's day


def sales_history() -> list[Event]:
    events: list[Event] = []
    for product_id, stock in (("fast", 40), ("slow", 500)):
        events.append(ProductCreated(
            occurred_at=TODAY - timedelta(days=90), correlation_id=product_id,
            product_id=product_id, sku=f"SKU-{product_id}", name=product_id.title(),
            description="", category="tools", price=Decimal("5.00"), currency="EUR",
            initial_stock=stock, low_stock_threshold=5,
        ))  # fmt: skip
    for day in range(1, 57):
        at = TODAY - timedelta(days=day)
        weekend = at.weekday() >= 5
        for product_id, quantity in (("fast", 14 if weekend else 8), ("slow", 1)):
            order_id = f"o-{product_id}-{day}"
            items = (OrderedItem(product_id, quantity, Decimal("5.00")),)
            total = Decimal("5.00") * quantity
            events.append(OrderCreated(
                occurred_at=at, correlation_id=order_id, order_id=order_id, user_id="u",
                items=items, total=total, currency="EUR", payment_method="tok_visa",
            ))  # fmt: skip
            events.append(OrderConfirmed(
                occurred_at=at, correlation_id=order_id, order_id=order_id, user_id="u",
                total=total, currency="EUR",
            ))  # fmt: skip
    return events


async def test_fast_sellers_short_of_their_reorder_point_are_suggested(api: Api) -> None:
    admin = await api.admin()
    await api.app.state.container.reporting_store().ingest(sales_history())
    response = await api.http.get(
        "/reports/reorder-suggestions",
        params={"lead_time_days": 7, "service_level": "0.95", "horizon_days": 14},
        headers=admin["headers"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["as_of"], body["lead_time_days"], body["horizon_days"]) == ("2026-01-01", 7, 14)
    assert body["z"] == "1.6449"
    (row,) = body["rows"]
    assert (row["product_id"], row["sku"], row["method"]) == ("fast", "SKU-fast", "holt-winters")
    # 5 weekdays at 8 and 2 weekend days at 14 a week: 68 units over a 7-day lead time.
    assert abs(Decimal(row["lead_time_demand"]) - 68) < 2
    assert Decimal(row["reorder_point"]) >= Decimal(row["lead_time_demand"])
    assert row["available"] == 40  # the read models saw no StockUpdated: the initial stock
    shortfall = Decimal(row["order_up_to"]) - row["available"]  # rounded to 2 places
    assert shortfall <= row["suggested_quantity"] <= shortfall + 1


async def test_a_longer_lead_time_and_a_higher_service_level_raise_the_reorder_point(
    api: Api,
) -> None:
    admin = await api.admin()
    await api.app.state.container.reporting_store().ingest(sales_history())

    async def reorder_point(lead: int, level: str) -> Decimal:
        response = await api.http.get(
            "/reports/reorder-suggestions",
            params={"lead_time_days": lead, "service_level": level},
            headers=admin["headers"],
        )
        assert response.status_code == 200, response.text
        (fast,) = [r for r in response.json()["rows"] if r["product_id"] == "fast"]
        return Decimal(fast["reorder_point"])

    assert (
        await reorder_point(7, "0.9")
        < await reorder_point(7, "0.99")
        < await reorder_point(10, "0.99")
    )


async def test_parameters_out_of_range_are_422_problems(api: Api) -> None:
    admin = await api.admin()
    for params, field in (
        ({"lead_time_days": 0}, "lead_time_days"),
        ({"horizon_days": 400}, "horizon_days"),
        ({"service_level": "0.9999"}, "service_level"),
        ({"service_level": "0.3"}, "service_level"),
        ({"service_level": "high"}, "service_level"),
        ({"lead_time_days": "soon"}, "lead_time_days"),
        ({"weeks": 2}, "weeks"),
    ):
        response = await api.http.get(
            "/reports/reorder-suggestions", params=params, headers=admin["headers"]
        )
        problem = assert_problem(response, 422)
        assert field in response.text, problem


async def test_only_admins_see_reorder_suggestions(api: Api) -> None:
    customer = await api.customer()
    assert_problem(
        await api.http.get("/reports/reorder-suggestions", headers=customer["headers"]), 403
    )
    assert_problem(await api.http.get("/reports/reorder-suggestions"), 401)
